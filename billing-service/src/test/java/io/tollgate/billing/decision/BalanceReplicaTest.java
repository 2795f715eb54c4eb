package io.tollgate.billing.decision;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tollgate.avro.Balance;
import io.tollgate.billing.LogConsumer;
import io.tollgate.runtime.OpsRoutes.Readiness;
import io.tollgate.schemas.registry.InMemorySchemaRegistry;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.tollgate.billing.decision.TestBalances.prepaid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The balance replica's reader after a failure: started again from the offsets reached, and reported meanwhile. */
class BalanceReplicaTest {
    private static final String TOPIC = "billing.balances";
    private final AvroSerde<Balance> serde = AvroSerde.forValues(Balance.class, new InMemorySchemaRegistry());
    private final List<LogConsumer> consumers = new CopyOnWriteArrayList<>();

    private byte[] encoded(Balance balance) {
        return serde.serialize(TOPIC, balance);
    }

    private BalanceReplica replica(Duration retry) {
        List<ConsumerRecord<String, byte[]>> log = LogConsumer.records(TOPIC, List.of(
                Map.entry("acme", encoded(prepaid("acme", 100).setVersion(1).build())),
                Map.entry("globex", encoded(prepaid("globex", 7).setVersion(1).build())),
                Map.entry("acme", encoded(prepaid("acme", 50).setVersion(2).build()))));
        return new BalanceReplica(Topics.BILLING_BALANCES, () -> {
            LogConsumer consumer = new LogConsumer(TOPIC, log);
            consumers.add(consumer);
            return consumer;
        }, () -> { }, serde, retry, 30_000, 10_000, new SimpleMeterRegistry(), System::currentTimeMillis);
    }

    @Test
    void aFailedReaderStartsAgainFromTheOffsetsItReachedSoNoBalanceGoesBackToAnOlderOne() {
        try (BalanceReplica replica = replica(Duration.ofMillis(50)).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.readiness().ready());
            assertThat(replica.get("acme").orElseThrow().balance().getVersion()).isEqualTo(2);
            assertThat(replica.get("acme").orElseThrow().partition()).isZero();

            consumers.get(0).setPollException(new KafkaException("fetch failed"));

            await().atMost(Duration.ofSeconds(10)).until(() -> consumers.size() == 2 && consumers.get(1).seeks().size() == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.readiness().ready());
            assertThat(consumers.get(0).seeks()).first().isEqualTo("beginning");
            assertThat(consumers.get(1).seeks()).containsExactly("3");
            assertThat(replica.get("acme").orElseThrow().balance().getRemainingMicros()).isEqualTo(50);
            assertThat(replica.size()).isEqualTo(2);
        }
    }

    @Test
    void whileWaitingToStartAgainItIsNotReadyAndSaysWhy() {
        try (BalanceReplica replica = replica(Duration.ofHours(1)).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> replica.readiness().ready());

            consumers.get(0).setPollException(new KafkaException("fetch failed"));

            await().atMost(Duration.ofSeconds(10)).until(() -> !replica.readiness().ready());
            assertThat(replica.readiness()).isEqualTo(Readiness.notReady(
                    "the replica of billing.balances is restarting after a failure: org.apache.kafka.common.KafkaException: fetch failed"));
            assertThat(replica.get("globex")).isPresent();
        }
    }
}
