package io.tollgate.runtime;

import io.tollgate.runtime.OpsRoutes.Readiness;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaReachabilityTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final AtomicBoolean answers = new AtomicBoolean(true);
    private final KafkaReachability reachability = new KafkaReachability("127.0.0.1:9092", timeout -> {
        if (!answers.get()) {
            throw new ExecutionException(new TimeoutException("Timed out waiting for a node assignment. Call: describeCluster"));
        }
    }, 5_000, now::get, () -> { });

    @Test
    void isNotReadyBeforeTheFirstAnswerAndNamesWhatItWaitsFor() {
        answers.set(false);
        reachability.askOnce();

        assertThat(reachability.readiness()).isEqualTo(Readiness.notReady("connecting to Kafka at 127.0.0.1:9092: "
                + "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: describeCluster"));
    }

    @Test
    void staysReadyWhileSilentForLessThanTheBoundThenTurnsNotReadyWithTheCauseAndBackAtTheNextAnswer() {
        reachability.askOnce();
        assertThat(reachability.readiness()).isEqualTo(Readiness.yes());

        answers.set(false);
        now.addAndGet(5_000);
        reachability.askOnce();
        assertThat(reachability.readiness().ready()).isTrue();

        now.addAndGet(1);
        reachability.askOnce();
        assertThat(reachability.readiness()).isEqualTo(Readiness.notReady("Kafka at 127.0.0.1:9092 has not answered for 5 s: "
                + "org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: describeCluster"));

        now.addAndGet(60_000);
        answers.set(true);
        reachability.askOnce();
        assertThat(reachability.readiness()).isEqualTo(Readiness.yes());
    }

    @Test
    void aLastAnswerLongAgoIsNotReadyEvenWhenNoQuestionFailedSince() {
        reachability.askOnce();
        now.addAndGet(7_000);

        assertThat(reachability.readiness()).isEqualTo(Readiness.notReady("Kafka at 127.0.0.1:9092 has not answered for 7 s"));
    }
}
