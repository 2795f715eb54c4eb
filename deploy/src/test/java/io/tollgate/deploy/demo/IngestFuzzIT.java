package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.avro.DeadLetter;
import io.tollgate.deploy.LocalStack;
import io.tollgate.deploy.ServiceSpec;
import io.tollgate.deploy.TollgateCli;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 8 §4: random and malformed payloads at every ingest door (the HTTP endpoints and the raw topics), interleaved
 * with good events, against the whole local stack. No door answers a 5xx; every bad HTTP request is refused with a
 * 4xx problem and publishes nothing; every bad raw record lands in {@code usage.events.dlq} exactly once, with its
 * bytes; every good event is counted exactly once in the balances. The seed is printed; rerun one with
 * {@code -Dtollgate.fuzz.seed=<seed>}.
 */
@Tag("integration")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestFuzzIT {
    private static final int CASES = 400;
    private static final String INGEST_STAGE_PREFIX = "ingest-";

    /** Kept when a test fails: the log of every process is under {@code logs/}. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path dataDir;
    private static LocalStack stack;
    private static TollgateApi api;
    private static RawTopicProducer topics;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SentLedger ledger = new SentLedger();
    private static final List<ConsumerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
    private static KafkaConsumer<byte[], byte[]> deadLetterReader;
    private static AvroSerde<DeadLetter> deadLetterSerde;

    @BeforeAll
    static void startStack() {
        stack = LocalStack.start(new LocalStack.Options(TollgateCli.repoRoot()).dataDir(dataDir).onFreePorts());
        api = new TollgateApi(JSON, stack.url(ServiceSpec.METERING_INGEST).orElseThrow(),
                stack.url(ServiceSpec.BILLING_SERVICE).orElseThrow(), stack.adminToken());
        topics = new RawTopicProducer(stack.bootstrapServers());
        api.putPlan(DemoPlan.ID, DemoPlan.body(JSON));
        for (String consumer : IngestFuzz.CONSUMERS) {
            api.putConsumer(consumer, JSON.createObjectNode().put("plan", DemoPlan.ID).put("status", "active").put("billing", "postpaid"));
        }
        deadLetterReader = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "fuzz-dead-letters",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        deadLetterReader.subscribe(List.of(Topics.USAGE_EVENTS_DLQ.name()));
        deadLetterSerde = AvroSerde.forValues(DeadLetter.class, stack.schemaRegistryUrl());
    }

    @AfterAll
    static void stopStack() {
        if (deadLetterReader != null) {
            deadLetterReader.close();
        }
        if (topics != null) {
            topics.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void malformedPayloadsAreRefusedOrDeadLetteredAndEveryGoodEventCountsOnce() throws Exception {
        long seed = Long.getLong("tollgate.fuzz.seed", System.nanoTime());
        String rerun = "seed " + seed + " (rerun with -Dtollgate.fuzz.seed=" + seed + ")";
        System.out.println("IngestFuzzIT: " + rerun);
        IngestFuzz fuzz = new IngestFuzz(JSON, seed);
        List<byte[]> deadLettered = new ArrayList<>();
        Map<String, Integer> statuses = new TreeMap<>();

        for (int i = 0; i < CASES; i++) {
            IngestFuzz.Case fuzzCase = fuzz.next(Instant.now());
            String what = "case " + i + " (" + fuzzCase.description() + ") at " + fuzzCase.door() + ", " + rerun;
            if (fuzzCase.door().http()) {
                TollgateApi.Reply reply = api.ingest(fuzzCase.door().path, fuzzCase.contentType(), fuzzCase.body());
                statuses.merge(fuzzCase.door() + " " + reply.status(), 1, Integer::sum);
                assertThat(reply.status()).as("status of %s; body %s", what, reply.raw()).isLessThan(500);
                boolean firehose = fuzzCase.door() == IngestFuzz.Door.AWS_FIREHOSE;
                if (fuzzCase.expect() == IngestFuzz.Expect.ACCEPTED && firehose) {
                    assertThat(reply.status()).as("status of %s; body %s", what, reply.raw()).isEqualTo(200);
                    assertThat(reply.body().path("requestId").asText()).as("requestId of %s", what)
                            .isEqualTo(JSON.readTree(fuzzCase.body()).path("requestId").asText());
                } else if (fuzzCase.expect() == IngestFuzz.Expect.ACCEPTED) {
                    assertThat(reply.status()).as("status of %s; body %s", what, reply.raw()).isEqualTo(202);
                    assertThat(reply.body().path("accepted").asInt()).as("accepted of %s", what).isEqualTo(fuzzCase.counted().size());
                } else {
                    assertThat(reply.status()).as("status of %s; body %s", what, reply.raw()).isBetween(400, 499);
                    if (firehose) {
                        assertThat(reply.body().path("errorMessage").asText()).as("Firehose errorMessage of %s", what).isNotBlank();
                    } else {
                        assertThat(reply.contentType()).as("content type of %s", what).startsWith("application/problem+json");
                    }
                }
            } else {
                topics.send(fuzzCase.door().topic, null, fuzzCase.body());
                if (fuzzCase.expect() == IngestFuzz.Expect.DEAD_LETTER) {
                    deadLettered.add(fuzzCase.body());
                }
            }
            ledger.record(fuzzCase.counted());
        }
        topics.flush();
        System.out.println("IngestFuzzIT: HTTP statuses " + statuses + "; raw records dead-lettered: " + deadLettered.size()
                + "; good calls: " + ledger.billableCalls());

        awaitBalancesMatchLedger(rerun);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            readDeadLetters();
            assertThat(ingestDeadLetterValues()).as("dead-lettered raw records, " + rerun)
                    .containsExactlyInAnyOrderElementsOf(deadLettered.stream().map(IngestFuzzIT::hex).toList());
        });
        assertThat(deadLetters.stream().filter(record -> !stageOf(record).startsWith(INGEST_STAGE_PREFIX)).map(IngestFuzzIT::describe))
                .as("dead letters from metering-streams: a good event was dropped, " + rerun).isEmpty();
    }

    /**
     * A gateway clock gone wrong, or a hostile sender: an event dated decades ahead, over HTTP and on a raw topic.
     * It must be refused with a 4xx (it will never become valid, so a 503 "retry later" would make gateways retry it
     * forever) or dead-lettered, and the events after it must still count.
     */
    @Test
    @Order(2)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void anEventFromTheFarFutureIsRefusedAndLaterEventsStillCount() {
        Instant now = Instant.now();
        GatewayPayloads payloads = new GatewayPayloads(JSON);
        Instant farFuture = Instant.parse("2099-01-01T00:00:00Z");
        GatewayCall futureHttp = call("future-http-" + now.toEpochMilli(), farFuture);
        GatewayCall futureRaw = call("future-raw-" + now.toEpochMilli(), farFuture);
        GatewayCall laterHttp = call("later-http-" + now.toEpochMilli(), now);
        GatewayCall laterRaw = call("later-raw-" + now.toEpochMilli(), now);

        TollgateApi.Reply futureReply = api.ingest(DemoTraffic.EVENTS_PATH, DemoTraffic.JSON, payloads.bytes(payloads.canonical(futureHttp)));
        topics.send(Topics.KONG_LOGS.name(), null, payloads.bytes(payloads.kong(futureRaw)));
        topics.send(Topics.KONG_LOGS.name(), null, payloads.bytes(payloads.kong(laterRaw)));
        topics.flush();
        TollgateApi.Reply laterReply = api.ingest(DemoTraffic.EVENTS_PATH, DemoTraffic.JSON, payloads.bytes(payloads.canonical(laterHttp)));
        ledger.record(List.of(laterHttp, laterRaw));

        assertThat(laterReply.status()).as(laterReply.raw()).isEqualTo(202);
        awaitBalancesMatchLedger("after events dated 2099 (HTTP answered " + futureReply.status() + ")");
        assertThat(futureReply.status()).as("an event dated 2099 over HTTP: %s", futureReply.raw()).isBetween(400, 499);
    }

    private static GatewayCall call(String id, Instant time) {
        return new GatewayCall(id, "fuzz-a", "fuzz", "fuzz-route", "POST", "/v1/fuzz", 200, time, 300, 300, 0, 0, null, false);
    }

    private static void awaitBalancesMatchLedger(String context) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            Map<String, Map<String, Long>> counted = new TreeMap<>();
            Map<String, Map<String, Long>> expected = new TreeMap<>();
            for (String consumer : IngestFuzz.CONSUMERS) {
                TollgateApi.Reply balance = api.balance(consumer);
                Map<String, Long> units = new HashMap<>();
                Map<String, Long> want = new HashMap<>();
                for (String meter : List.of(GatewayCall.REQUESTS, GatewayCall.INPUT_TOKENS, GatewayCall.OUTPUT_TOKENS)) {
                    units.put(meter, balance.body().path("usage").path(meter).asLong(0));
                    want.put(meter, ledger.expectedUnits(consumer).getOrDefault(meter, 0L));
                }
                counted.put(consumer, units);
                expected.put(consumer, want);
            }
            assertThat(counted).as("usage in the balances, " + context).isEqualTo(expected);
        });
    }

    private static void readDeadLetters() {
        deadLetterReader.poll(Duration.ofMillis(200)).forEach(deadLetters::add);
    }

    private static List<String> ingestDeadLetterValues() {
        List<String> values = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : deadLetters) {
            if (stageOf(record).startsWith(INGEST_STAGE_PREFIX)) {
                DeadLetter letter = letter(record);
                values.add(letter.getValue() == null ? hex(null) : hex(bytesOf(letter.getValue())));
            }
        }
        return values;
    }

    private static String stageOf(ConsumerRecord<byte[], byte[]> record) {
        return letter(record).getStage();
    }

    private static String describe(ConsumerRecord<byte[], byte[]> record) {
        DeadLetter letter = letter(record);
        return letter.getStage() + ": " + letter.getReason();
    }

    private static DeadLetter letter(ConsumerRecord<byte[], byte[]> record) {
        return deadLetterSerde.deserialize(record.topic(), record.value());
    }

    private static byte[] bytesOf(java.nio.ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static String hex(byte[] bytes) {
        return bytes == null ? "(no value)" : bytes.length > 256
                ? bytes.length + " bytes " + HexFormat.of().formatHex(bytes, 0, 64) + "..." + Integer.toHexString(java.util.Arrays.hashCode(bytes))
                : new String(bytes, StandardCharsets.ISO_8859_1).length() + ":" + HexFormat.of().formatHex(bytes);
    }
}
