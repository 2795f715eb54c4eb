package io.tollgate.billing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.runtime.Lifecycle;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Defect 1 of issue 12 on a real broker: a transaction that writes a generous {@code Balance} and usage.hourly records
 * and then aborts (as a fenced zombie or a failed exactly-once commit of metering-streams would) leaves records in the
 * log. billing-service never shows them: decisions stay 402 / 403, and the balance, usage and invoice endpoints show
 * only committed data. Committed records written after the abort, on every partition, prove the replicas read past it.
 */
@Tag("integration")
@Timeout(240)
@ExtendWith(TollgateStackExtension.class)
class AbortedTransactionsIT {
    private static final String TOKEN = "aborted-it-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant HOUR = Instant.parse("2026-10-15T10:00:00Z");
    private static final long A_MILLION_CREDITS = 1_000_000L * 1_000_000L;
    private static final String PRO = """
            {"currency": "USD", "period": "month", "meters": {"requests": {"unitPrice": "0.002", "per": 1, "included": 0}}}""";

    @Test
    void anAbortedTransactionNeverReachesDecisionsBalancesUsageOrInvoices(KafkaStack stack) throws Exception {
        String balances = stack.unique("billing.balances");
        String accounts = stack.unique("billing.accounts");
        String hourly = stack.unique("usage.hourly");
        stack.createTopic(Topics.BILLING_BALANCES.withName(balances));
        stack.createTopic(Topics.BILLING_ACCOUNTS.withName(accounts));
        stack.createTopic(Topics.USAGE_HOURLY.withName(hourly));
        Map<String, Object> settings = new HashMap<>();
        settings.put(EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(BillingConfig.PORT, 0);
        settings.put(BillingConfig.GRPC_PORT, -1);
        settings.put(BillingConfig.EVENT_LOOPS, 1);
        settings.put(BillingConfig.BALANCES_TOPIC, balances);
        settings.put(BillingConfig.ACCOUNTS_TOPIC, accounts);
        settings.put(BillingConfig.USAGE_HOURLY_TOPIC, hourly);
        settings.put(BillingConfig.ADMIN_TOKENS, TOKEN);

        try (Writer writer = new Writer(stack); Lifecycle lifecycle = new Lifecycle("aborted-it")) {
            writer.committed(balances, null, "broke", balance("broke", 0, 1));
            writer.committed(hourly, null, "broke", hour("broke", 5, 10_000));

            BillingServer server = BillingMain.start(new BillingConfig(settings), lifecycle);
            Api api = new Api(server.port());
            await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/readyz").statusCode() == 200);
            assertThat(api.admin("PUT", "/v1/plans/pro", PRO).statusCode()).isEqualTo(201);
            assertThat(api.admin("PUT", "/v1/consumers/broke", "{\"plan\": \"pro\"}").statusCode()).isEqualTo(201);
            await().atMost(Duration.ofSeconds(30)).until(() -> units(api, "broke") == 5);

            writer.aborted(balances, "broke", balance("broke", A_MILLION_CREDITS, 2),
                    balances, "nobody", balance("nobody", A_MILLION_CREDITS, 1),
                    hourly, "broke", hour("broke", 1_000_000, 2_000_000_000L),
                    hourly, "nobody", hour("nobody", 1_000_000, 2_000_000_000L));
            for (int partition = 0; partition < Topics.CONSUMER_PARTITIONS; partition++) {
                writer.committed(balances, partition, "marker-" + partition, balance("marker-" + partition, 1_000_000, 1));
                writer.committed(hourly, partition, "marker-" + partition, hour("marker-" + partition, 1, 2_000));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (int partition = 0; partition < Topics.CONSUMER_PARTITIONS; partition++) {
                    if (api.authorize("marker-" + partition).statusCode() != 200 || units(api, "marker-" + partition) != 1) {
                        return false;
                    }
                }
                return true;
            });

            HttpResponse<String> broke = api.authorize("broke");
            assertThat(broke.statusCode()).isEqualTo(402);
            assertThat(JSON.readTree(broke.body()).path("reason").asText()).isEqualTo("insufficient_credits");
            assertThat(JSON.readTree(broke.body()).path("balance").asText()).isEqualTo("0.00");
            HttpResponse<String> nobody = api.authorize("nobody");
            assertThat(nobody.statusCode()).isEqualTo(403);
            assertThat(JSON.readTree(nobody.body()).path("reason").asText()).isEqualTo("unknown_consumer");

            HttpResponse<String> brokeBalance = api.admin("GET", "/v1/consumers/broke/balance", null);
            assertThat(brokeBalance.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(brokeBalance.body()).path("remaining").asText()).isEqualTo("0.00");
            assertThat(api.admin("GET", "/v1/consumers/nobody/balance", null).statusCode()).isEqualTo(404);

            assertThat(units(api, "broke")).isEqualTo(5);
            assertThat(units(api, "nobody")).isZero();
            JsonNode invoice = JSON.readTree(api.admin("GET", "/v1/consumers/broke/invoices/2026-10", null).body());
            assertThat(invoice.path("lines").get(0).path("units").asLong()).isEqualTo(5);
            assertThat(invoice.path("total").asText()).isEqualTo("0.01");
        }
    }

    private static long units(Api api, String consumer) throws Exception {
        HttpResponse<String> response = api.admin("GET", "/v1/usage?consumer=" + consumer
                + "&granularity=month&from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z", null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        long units = 0;
        for (JsonNode item : JSON.readTree(response.body()).path("items")) {
            units += item.path("units").asLong();
        }
        return units;
    }

    private static Balance balance(String consumer, long remainingMicros, long version) {
        Map<String, MeterPrice> meters = Map.of("requests",
                MeterPrice.newBuilder().setUnitPriceNanos(2_000_000).setPer(1).setIncluded(0).setHardLimit(null).build());
        Instant now = Instant.now();
        return Balance.newBuilder().setConsumer(consumer).setPlan("pro").setStatus("active").setBilling("prepaid").setCurrency("USD")
                .setPeriod(io.tollgate.schemas.money.Periods.periodOf("month", now.toEpochMilli()))
                .setCreditsMicros(remainingMicros).setSpentMicros(0).setRemainingMicros(remainingMicros).setSpendLimitMicros(null)
                .setUsage(new HashMap<>()).setAmounts(new HashMap<>()).setMeters(new HashMap<>(meters)).setVersion(version)
                .setLastEventTime(now).setUpdatedAt(now).build();
    }

    private static UsageAggregate hour(String consumer, long units, long amountMicros) {
        return UsageAggregate.newBuilder().setConsumer(consumer).setMeter("requests").setHourStart(HOUR).setUnits(units)
                .setEvents(units).setAmountMicros(amountMicros).setCurrency("USD").setUpdatedAt(HOUR.plusSeconds(60)).build();
    }

    /** Writes as metering-streams does: in transactions, Avro values through the stack's registry. */
    private static final class Writer implements AutoCloseable {
        private final KafkaProducer<String, byte[]> committing;
        private final KafkaProducer<String, byte[]> aborting;
        private final AvroSerde<Balance> balances;
        private final AvroSerde<UsageAggregate> aggregates;

        Writer(KafkaStack stack) {
            committing = producer(stack);
            aborting = producer(stack);
            balances = AvroSerde.forValues(Balance.class, stack.schemaRegistryUrl());
            aggregates = AvroSerde.forValues(UsageAggregate.class, stack.schemaRegistryUrl());
        }

        private static KafkaProducer<String, byte[]> producer(KafkaStack stack) {
            KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "aborted-it-" + UUID.randomUUID()),
                    new StringSerializer(), new ByteArraySerializer());
            producer.initTransactions();
            return producer;
        }

        private byte[] encode(String topic, Object value) {
            return value instanceof Balance b ? balances.serialize(topic, b) : aggregates.serialize(topic, (UsageAggregate) value);
        }

        void committed(String topic, Integer partition, String key, Object value) {
            committing.beginTransaction();
            committing.send(new ProducerRecord<>(topic, partition, key, encode(topic, value)));
            committing.commitTransaction();
        }

        /** Sends {@code (topic, key, value)} triples in one transaction, waits until they are in the log, then aborts. */
        void aborted(Object... topicKeyValue) throws Exception {
            aborting.beginTransaction();
            for (int i = 0; i < topicKeyValue.length; i += 3) {
                String topic = (String) topicKeyValue[i];
                aborting.send(new ProducerRecord<>(topic, (String) topicKeyValue[i + 1], encode(topic, topicKeyValue[i + 2]))).get();
            }
            aborting.abortTransaction();
        }

        @Override
        public void close() {
            committing.close();
            aborting.close();
        }
    }

    private record Api(int port) {
        HttpResponse<String> get(String path) throws Exception {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> authorize(String consumer) throws Exception {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/authorize"))
                    .header("X-Consumer-Id", consumer).build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> admin(String method, String path, String body) throws Exception {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
