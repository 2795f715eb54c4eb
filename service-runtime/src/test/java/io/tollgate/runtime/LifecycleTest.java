package io.tollgate.runtime;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class LifecycleTest {

    @Test
    void closesResourcesInReverseOrderOfRegistrationOnce() {
        List<String> closed = new ArrayList<>();
        Lifecycle lifecycle = new Lifecycle("test");
        lifecycle.register(() -> closed.add("first"));
        lifecycle.register(() -> closed.add("second"));

        lifecycle.close();
        lifecycle.close();

        assertThat(closed).containsExactly("second", "first");
    }

    @Test
    void haltsWhenClosingTakesLongerThanTheDeadline() throws Exception {
        CountDownLatch halted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Lifecycle lifecycle = new Lifecycle("test");
        lifecycle.register(() -> release.await(30, TimeUnit.SECONDS)); // a Kafka client waiting for a broker that is gone

        long began = System.nanoTime();
        Thread closing = new Thread(() -> lifecycle.closeWithin(Duration.ofMillis(300), halted::countDown));
        closing.start();

        assertThat(halted.await(5, TimeUnit.SECONDS)).as("halted").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(3));
        release.countDown();
        closing.join(5_000);
    }

    @Test
    void doesNotHaltWhenClosingEndsInTime() throws Exception {
        CountDownLatch halted = new CountDownLatch(1);
        Lifecycle lifecycle = new Lifecycle("test");
        lifecycle.register(() -> { });

        lifecycle.closeWithin(Duration.ofMillis(200), halted::countDown);

        assertThat(halted.await(600, TimeUnit.MILLISECONDS)).as("halted").isFalse();
    }

    @Test
    void theShutdownDeadlineIsACommonSettingOf12SecondsByDefault() {
        var config = new org.apache.kafka.common.config.AbstractConfig(EnvConfig.withCommon(new org.apache.kafka.common.config.ConfigDef()),
                java.util.Map.of());

        assertThat(EnvConfig.shutdownTimeout(config)).isEqualTo(Duration.ofSeconds(12));
    }
}
