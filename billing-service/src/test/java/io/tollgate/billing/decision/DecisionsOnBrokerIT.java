package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import io.tollgate.billing.BillingConfig;
import io.tollgate.billing.BillingMain;
import io.tollgate.billing.BillingServer;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.runtime.Lifecycle;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static io.tollgate.billing.decision.TestBalances.prepaid;
import static io.tollgate.billing.decision.TestBalances.withUsage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * billing-service against a real broker and registry: the replica reads {@code billing.balances} (written here as
 * metering-streams would), and a consumer goes from 200 to 402 as its balance is spent and back to 200 after a top-up.
 * The same on balances produced by a real metering-streams from usage events: deploy's {@code DecisionsOnStreamsIT}.
 */
@Tag("integration")
@Timeout(180)
@ExtendWith(TollgateStackExtension.class)
class DecisionsOnBrokerIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static BillingConfig config(KafkaStack stack, String topic, String stalePolicy) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(BillingConfig.PORT, 0);
        settings.put(BillingConfig.GRPC_PORT, 0);
        settings.put(BillingConfig.EVENT_LOOPS, 1);
        settings.put(BillingConfig.BALANCES_TOPIC, topic);
        settings.put(BillingConfig.STALE_POLICY, stalePolicy);
        settings.put(BillingConfig.STALE_AFTER_MS, 3_000L);
        return new BillingConfig(settings);
    }

    private static KafkaProducer<String, Balance> producer(KafkaStack stack) {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(),
                AvroSerde.forValues(Balance.class, stack.schemaRegistryUrl()).serializer());
    }

    private static void publish(KafkaProducer<String, Balance> producer, String topic, Balance balance) throws Exception {
        producer.send(new ProducerRecord<>(topic, balance.getConsumer(), balance)).get();
    }

    private static HttpResponse<String> get(BillingServer server, String path, String consumer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (consumer != null) {
            request.header("X-Consumer-Id", consumer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A balance past the included requests, so that every call costs 0.002, as of now. */
    private static Balance.Builder balance(String consumer, long remainingMicros, long version) {
        Instant now = Instant.now();
        return withUsage(prepaid(consumer, remainingMicros), "requests", 2_000).setVersion(version)
                .setPeriod(io.tollgate.schemas.money.Periods.periodOf("month", now.toEpochMilli()))
                .setUpdatedAt(now).setLastEventTime(now);
    }

    @Test
    void aConsumerSpendsItsCreditsGets402AndIsAllowedAgainAfterATopUp(KafkaStack stack) throws Exception {
        String topic = stack.unique("billing.balances");
        stack.createTopic(Topics.BILLING_BALANCES.withName(topic));
        try (KafkaProducer<String, Balance> producer = producer(stack); Lifecycle lifecycle = new Lifecycle("billing-it")) {
            publish(producer, topic, balance("acme", 10_000, 1).build());
            for (int i = 0; i < 50; i++) {
                publish(producer, topic, balance("filler-" + i, 1_000_000, 1).build());
            }

            BillingServer server = BillingMain.start(config(stack, topic, BillingConfig.FAIL_OPEN), lifecycle);
            await().atMost(Duration.ofSeconds(60)).until(() -> get(server, "/readyz", null).statusCode() == 200);

            HttpResponse<String> funded = get(server, "/v1/authorize", "acme");
            assertThat(funded.statusCode()).isEqualTo(200);
            assertThat(funded.headers().firstValue("X-Tollgate-Balance")).hasValue("0.008");
            assertThat(get(server, "/v1/authorize", "filler-49").statusCode()).isEqualTo(200);

            // metering-streams counted the allowed call's event: its admission is settled
            Balance spent = balance("acme", 0, 2).setEventsCounted(1).build();
            publish(producer, topic, spent);
            await().atMost(Duration.ofSeconds(30)).until(() -> get(server, "/v1/authorize", "acme").statusCode() == 402);
            HttpResponse<String> denied = get(server, "/v1/authorize", "acme");
            assertThat(denied.headers().firstValue("X-Tollgate-Reason")).hasValue("insufficient_credits");
            assertThat(denied.body()).contains("\"reason\":\"insufficient_credits\"", "\"balance\":\"0.00\"",
                    "\"asOf\":\"" + spent.getUpdatedAt() + "\"");

            publish(producer, topic, balance("acme", 10_000_000, 3).setEventsCounted(1).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> get(server, "/v1/authorize", "acme").statusCode() == 200);
            // the call that ended the wait is not counted by any balance yet: it still counts locally
            assertThat(get(server, "/v1/authorize", "acme").headers().firstValue("X-Tollgate-Balance")).hasValue("9.996");

            await().atMost(Duration.ofSeconds(10))
                    .until(() -> get(server, "/metrics", null).body().contains("tollgate_decision_replica_lag_records 0.0"));
            String metrics = get(server, "/metrics", null).body();
            assertThat(metrics).contains("tollgate_decision_replica_consumers 51.0")
                    .containsPattern("tollgate_decisions_total\\{outcome=\"deny\",reason=\"insufficient_credits\"} [1-9]");
        }
    }

    @Test
    void aTombstoneForgetsTheConsumer(KafkaStack stack) throws Exception {
        String topic = stack.unique("billing.balances");
        stack.createTopic(Topics.BILLING_BALANCES.withName(topic));
        try (KafkaProducer<String, Balance> producer = producer(stack); Lifecycle lifecycle = new Lifecycle("billing-it")) {
            publish(producer, topic, balance("leaver", 1_000_000, 1).build());
            BillingServer server = BillingMain.start(config(stack, topic, BillingConfig.FAIL_OPEN), lifecycle);
            await().atMost(Duration.ofSeconds(60)).until(() -> get(server, "/readyz", null).statusCode() == 200);
            assertThat(get(server, "/v1/authorize", "leaver").statusCode()).isEqualTo(200);

            producer.send(new ProducerRecord<>(topic, "leaver", null)).get();

            await().atMost(Duration.ofSeconds(30)).until(() -> get(server, "/v1/authorize", "leaver").statusCode() == 403);
            assertThat(get(server, "/v1/authorize", "leaver").body()).contains("\"reason\":\"unknown_consumer\"");
        }
    }

    @Test
    void failsClosedWhileTheBrokerIsDownWhenConfiguredAndRecovers(KafkaStack stack) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(stack.mode() == KafkaStack.Mode.EMBEDDED,
                "stopping the broker needs the embedded stack");
        String topic = stack.unique("billing.balances");
        stack.createTopic(Topics.BILLING_BALANCES.withName(topic));
        try (KafkaProducer<String, Balance> producer = producer(stack); Lifecycle lifecycle = new Lifecycle("billing-it")) {
            publish(producer, topic, balance("acme", 1_000_000, 1).build());
            BillingServer server = BillingMain.start(config(stack, topic, BillingConfig.FAIL_CLOSED), lifecycle);
            await().atMost(Duration.ofSeconds(60)).until(() -> get(server, "/readyz", null).statusCode() == 200);
            assertThat(get(server, "/v1/authorize", "acme").statusCode()).isEqualTo(200);

            stack.stopBroker();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> get(server, "/v1/authorize", "acme").statusCode() == 403);
                HttpResponse<String> stale = get(server, "/v1/authorize", "acme");
                assertThat(stale.headers().firstValue("X-Tollgate-Reason")).hasValue("stale_balance");
                assertThat(get(server, "/metrics", null).body()).containsPattern("tollgate_decision_replica_staleness_seconds ([3-9]|[1-9][0-9])");
            } finally {
                stack.startBroker();
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> get(server, "/v1/authorize", "acme").statusCode() == 200);
        }
    }
}
