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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tollgate.billing.decision.TestBalances.prepaid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Per-partition freshness on a real broker: the streams application's consumer group (played here by committing its
 * offsets through Admin, as a Streams app commits them) stops counting one partition of usage.events while events
 * keep arriving there. With {@code stale.policy=closed} the consumers of that partition get 403 {@code stale_balance}
 * after {@code stale.after.ms}, the others keep their answers, and the partition's staleness metric says so.
 */
@Tag("integration")
@Timeout(180)
@ExtendWith(TollgateStackExtension.class)
class PartitionFreshnessIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int PARTITIONS = Topics.CONSUMER_PARTITIONS;

    private static int partitionOf(String consumer) {
        return Utils.toPositive(Utils.murmur2(consumer.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
    }

    @Test
    void thePartitionWhoseUsageStopsBeingCountedFailsClosedAndTheOthersDoNot(KafkaStack stack) throws Exception {
        String balances = stack.unique("billing.balances");
        String usage = stack.unique("usage.events");
        String group = stack.unique("tollgate-metering");
        stack.createTopic(Topics.BILLING_BALANCES.withName(balances));
        stack.createTopic(Topics.USAGE_EVENTS.withName(usage));
        String stuck = "acme";
        String moving = "globex";
        for (int i = 0; partitionOf(moving) == partitionOf(stuck); i++) {
            moving = "globex-" + i;
        }
        int stuckPartition = partitionOf(stuck);
        int movingPartition = partitionOf(moving);

        Map<String, Object> settings = new HashMap<>();
        settings.put(EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(BillingConfig.PORT, 0);
        settings.put(BillingConfig.GRPC_PORT, -1);
        settings.put(BillingConfig.EVENT_LOOPS, 1);
        settings.put(BillingConfig.BALANCES_TOPIC, balances);
        settings.put(BillingConfig.ACCOUNTS_TOPIC, stack.unique("billing.accounts"));
        settings.put(BillingConfig.USAGE_HOURLY_TOPIC, stack.unique("usage.hourly"));
        settings.put(BillingConfig.USAGE_EVENTS_TOPIC, usage);
        settings.put(BillingConfig.STREAMS_APPLICATION_ID, group);
        settings.put(BillingConfig.STALE_POLICY, BillingConfig.FAIL_CLOSED);
        settings.put(BillingConfig.STALE_AFTER_MS, 3_000L);

        try (KafkaProducer<String, Balance> balanceWriter = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.bootstrapServers()), new StringSerializer(), AvroSerde.forValues(Balance.class, stack.schemaRegistryUrl()).serializer());
             KafkaProducer<String, byte[]> events = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     stack.bootstrapServers()), new StringSerializer(), new ByteArraySerializer());
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()));
             Lifecycle lifecycle = new Lifecycle("partition-freshness-it")) {
            for (String consumer : new String[] {stuck, moving}) {
                Instant now = Instant.now();
                balanceWriter.send(new ProducerRecord<>(balances, consumer, prepaid(consumer, 1_000_000)
                        .setPeriod(io.tollgate.schemas.money.Periods.periodOf("month", now.toEpochMilli()))
                        .setUpdatedAt(now).setLastEventTime(now).build())).get();
                events.send(new ProducerRecord<>(usage, consumer, new byte[] {1})).get();
            }
            countEverything(admin, usage, group);

            BillingServer server = BillingMain.start(new BillingConfig(settings), lifecycle);
            await().atMost(Duration.ofSeconds(60)).until(() -> get(server, "/readyz", null).statusCode() == 200);
            await().atMost(Duration.ofSeconds(10)).until(() -> get(server, "/v1/authorize", stuck).statusCode() == 200);
            assertThat(get(server, "/v1/authorize", moving).statusCode()).isEqualTo(200);

            // the instance counting the stuck partition is gone: events keep arriving on both, only the other is counted
            long stopped = System.currentTimeMillis();
            String movingConsumer = moving;
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
                events.send(new ProducerRecord<>(usage, stuck, new byte[] {2})).get();
                events.send(new ProducerRecord<>(usage, movingConsumer, new byte[] {2})).get();
                countPartition(admin, usage, group, movingPartition);
                return get(server, "/v1/authorize", stuck).statusCode() == 403;
            });
            long staleAfter = System.currentTimeMillis() - stopped;
            HttpResponse<String> denied = get(server, "/v1/authorize", stuck);
            assertThat(denied.headers().firstValue("X-Tollgate-Reason")).hasValue("stale_balance");
            assertThat(denied.body()).contains("\"balance\":\"1.00\"", "partition has not been counted");
            assertThat(get(server, "/v1/authorize", moving).statusCode()).isEqualTo(200);
            assertThat(staleAfter).isGreaterThanOrEqualTo(3_000);
            String metrics = get(server, "/metrics", null).body();
            assertThat(staleness(metrics, stuckPartition)).isGreaterThan(3.0);
            assertThat(staleness(metrics, movingPartition)).isLessThan(3.0);

            countEverything(admin, usage, group);
            await().atMost(Duration.ofSeconds(10)).until(() -> get(server, "/v1/authorize", stuck).statusCode() == 200);
        }
    }

    private static double staleness(String metrics, int partition) {
        Matcher m = Pattern.compile("tollgate_decision_partition_staleness_seconds\\{partition=\"" + partition + "\"} ([0-9.E-]+)")
                .matcher(metrics);
        assertThat(m.find()).as("staleness of partition %d in\n%s", partition, metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** Commits, for {@code group}, every partition's end offset: what a Streams app does once it has counted everything. */
    private static void countEverything(Admin admin, String topic, String group) throws Exception {
        for (int p = 0; p < PARTITIONS; p++) {
            countPartition(admin, topic, group, p);
        }
    }

    private static void countPartition(Admin admin, String topic, String group, int partition) throws Exception {
        TopicPartition tp = new TopicPartition(topic, partition);
        long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
        admin.alterConsumerGroupOffsets(group, Map.of(tp, new OffsetAndMetadata(end))).all().get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> get(BillingServer server, String path, String consumer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (consumer != null) {
            request.header("X-Consumer-Id", consumer);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
