package io.tollgate.billing.accounts;

import io.tollgate.billing.LogConsumer;
import io.tollgate.runtime.OpsRoutes.Readiness;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The replica's reader is restarted after a failure, from where it stopped, and readiness reports what happened. */
class TopicReplicaTest {
    private static final String TOPIC = "billing.accounts";
    private static final List<ConsumerRecord<String, byte[]>> LOG = LogConsumer.records(TOPIC, List.of(
            Map.entry("acme", bytes("plan pro")), Map.entry("acme", bytes("credits 10")), Map.entry("globex", bytes("plan free"))));

    private final List<LogConsumer> consumers = new CopyOnWriteArrayList<>();
    private final List<String> applied = new CopyOnWriteArrayList<>();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Supplier<Consumer<String, byte[]>> factory() {
        return () -> {
            LogConsumer consumer = new LogConsumer(TOPIC, LOG);
            consumers.add(consumer);
            return consumer;
        };
    }

    private TopicReplica<String> replica(TopicReplica.Handler<String> handler, Duration restartAfter) {
        return new TopicReplica<>(TOPIC, factory(), (topic, data) -> new String(data, StandardCharsets.UTF_8), handler, restartAfter);
    }

    /** Applies each record, except that the record at {@code offset} throws {@code failure} the first time. */
    private TopicReplica.Handler<String> failingOnceAt(long offset, RuntimeException failure) {
        boolean[] thrown = {false};
        return (key, value, partition, recordOffset) -> {
            if (recordOffset == offset && !thrown[0]) {
                thrown[0] = true;
                throw failure;
            }
            applied.add(recordOffset + " " + key + ": " + value);
        };
    }

    @Test
    void aReaderThatFailsIsStartedAgainFromTheFirstRecordNotAppliedAndCatchesUp() {
        try (TopicReplica<String> replica = replica(failingOnceAt(1, new IllegalStateException("handler broke")), Duration.ofMillis(50))) {
            replica.start();

            await().atMost(Duration.ofSeconds(10)).until(() -> replica.readiness().ready());

            assertThat(applied).containsExactly("0 acme: plan pro", "1 acme: credits 10", "2 globex: plan free");
            assertThat(replica.restarts()).isEqualTo(1);
            assertThat(consumers).hasSize(2);
            assertThat(consumers.get(0).seeks()).first().isEqualTo("beginning");
            assertThat(consumers.get(1).seeks()).containsExactly("1");
            assertThat(consumers.get(0).closed()).isTrue();
            assertThat(replica.caughtUp()).isTrue();
        }
    }

    @Test
    void whileWaitingToStartAgainItIsNotReadyAndSaysWhy() {
        try (TopicReplica<String> replica = replica(failingOnceAt(2, new IllegalStateException("handler broke")), Duration.ofHours(1))) {
            replica.start();

            await().atMost(Duration.ofSeconds(10)).until(() -> replica.status().startsWith("failed"));

            assertThat(replica.readiness()).isEqualTo(Readiness.notReady(
                    "the replica of billing.accounts is restarting after a failure: java.lang.IllegalStateException: handler broke"));
            assertThat(applied).containsExactly("0 acme: plan pro", "1 acme: credits 10");
        }
    }

    @Test
    void aFailureAfterCatchingUpMakesItNotReadyUntilTheRestartedReaderRuns() {
        try (TopicReplica<String> replica = replica((key, value, partition, offset) -> applied.add(offset + " " + key), Duration.ofHours(1))) {
            replica.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.readiness().ready());
            consumers.get(0).setPollException(new org.apache.kafka.common.KafkaException("fetch failed"));

            await().atMost(Duration.ofSeconds(10)).until(() -> !replica.readiness().ready());
            assertThat(replica.readiness().detail())
                    .isEqualTo("the replica of billing.accounts is restarting after a failure: org.apache.kafka.common.KafkaException: fetch failed");
            assertThat(replica.caughtUp()).isTrue();
        }
    }

    @Test
    void aReaderThreadKilledByAnErrorIsReportedForGood() {
        try (TopicReplica<String> replica = replica((key, value, partition, offset) -> {
            throw new OutOfMemoryError("simulated");
        }, Duration.ofMillis(10))) {
            replica.start();

            await().atMost(Duration.ofSeconds(10)).until(() -> replica.status().startsWith("stopped"));

            assertThat(replica.readiness()).isEqualTo(Readiness.notReady(
                    "the replica of billing.accounts stopped: java.lang.OutOfMemoryError: simulated"));
            assertThat(consumers).hasSize(1);
            assertThat(consumers.get(0).closed()).isTrue();
            assertThat(replica.restarts()).isZero();
        }
    }
}
