package io.tollgate.streams;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.schemas.registry.InMemorySchemaRegistry;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.streams.errors.DeadLetterHandler;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/** The metering topology in a TopologyTestDriver, with an in-memory registry and a controlled wall clock. */
final class MeteringDriver implements AutoCloseable {
    static final Instant WALL_CLOCK_START = Instant.parse("2026-11-21T10:00:00Z");
    static final Duration FLUSH = Duration.ofMillis(100);

    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final TopicNames topics = TopicNames.defaults();
    TopologyTestDriver driver;
    TestInputTopic<String, UsageEvent> usage;
    TestInputTopic<String, AccountEvent> accounts;
    TestInputTopic<String, byte[]> rawUsage;
    TestOutputTopic<String, Balance> balances;
    TestOutputTopic<String, UsageAggregate> hourly;
    TestOutputTopic<byte[], DeadLetter> deadLetters;
    private final Path stateDir;
    private final Properties props = new Properties();
    private final MeteringTopology.Settings settings;
    private int accountEventSeq;

    MeteringDriver() {
        this(Duration.ofHours(24));
    }

    MeteringDriver(Duration dedupWindow) {
        try {
            stateDir = Files.createTempDirectory("metering-driver");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "metering-test-" + UUID.randomUUID());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // The driver does not run transactions; under exactly_once_v2 it drops the dead letters that Kafka Streams
        // sends while deserializing at enqueue time. Exactly-once is exercised against the real broker (*IT).
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(DeadLetterHandler.REGISTRY_INSTANCE, registry);
        props.put(DeadLetterHandler.DLQ_TOPIC, topics.deadLetters());
        settings = new MeteringTopology.Settings(topics, dedupWindow, FLUSH);
        open(WALL_CLOCK_START);
    }

    private void open(Instant wallClock) {
        driver = new TopologyTestDriver(MeteringTopology.build(settings, registry), props, wallClock);
        usage = driver.createInputTopic(topics.usageEvents(), new StringSerializer(),
                AvroSerde.forValues(UsageEvent.class, registry).serializer());
        rawUsage = driver.createInputTopic(topics.usageEvents(), new StringSerializer(), new ByteArraySerializer());
        accounts = driver.createInputTopic(topics.billingAccounts(), new StringSerializer(),
                AvroSerde.forValues(AccountEvent.class, registry).serializer());
        balances = driver.createOutputTopic(topics.balances(), new StringDeserializer(),
                AvroSerde.forValues(Balance.class, registry).deserializer());
        hourly = driver.createOutputTopic(topics.usageHourly(), new StringDeserializer(),
                AvroSerde.forValues(UsageAggregate.class, registry).deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters(), new ByteArrayDeserializer(),
                AvroSerde.forValues(DeadLetter.class, registry).deserializer());
    }

    static MeterPrice price(long unitPriceNanos, long per, long included) {
        return new MeterPrice(unitPriceNanos, per, included, null);
    }

    void definePlan(String plan, String period, Map<String, MeterPrice> meters, Instant time) {
        accounts.pipeInput(plan, account(new PlanDefined(plan, "USD", period, new HashMap<>(meters)), time), time);
    }

    void updateConsumer(String consumer, String plan, String billing, Long spendLimitMicros, Instant time) {
        accounts.pipeInput(consumer, account(new ConsumerUpdated(consumer, plan, "active", billing, spendLimitMicros), time), time);
    }

    void grant(String consumer, long amountMicros, String idempotencyKey, Instant time) {
        accounts.pipeInput(consumer, account(new CreditsGranted(consumer, amountMicros, idempotencyKey, "test"), time), time);
    }

    private AccountEvent account(Object payload, Instant time) {
        return new AccountEvent("acct-" + (++accountEventSeq), time, payload);
    }

    void call(String consumer, String source, String id, Instant time, Map<String, Long> meters) {
        UsageEvent event = UsageEvent.newBuilder()
                .setId(id).setSource(source).setConsumer(consumer).setGateway("canonical")
                .setEventTime(time).setIngestTime(time).setMeters(new HashMap<>(meters))
                .build();
        usage.pipeInput(consumer, event, time);
    }

    /** Advances the wall clock past one flush interval, so pending balances and hours are published. */
    void flush() {
        driver.advanceWallClockTime(FLUSH);
    }

    /** The latest balance per consumer among the records published so far (drains the topic). */
    Map<String, Balance> latestBalances() {
        Map<String, Balance> latest = new LinkedHashMap<>();
        balances.readKeyValuesToList().forEach(kv -> latest.put(kv.key, kv.value));
        return latest;
    }

    /** The latest aggregate per (consumer, meter, hour), which is the total (drains the topic). */
    Map<String, UsageAggregate> latestHours() {
        Map<String, UsageAggregate> latest = new LinkedHashMap<>();
        hourly.readValuesToList().forEach(a -> latest.put(a.getConsumer() + "/" + a.getMeter() + "/" + a.getHourStart(), a));
        return latest;
    }

    List<TestRecord<String, Balance>> balanceRecords() {
        return new ArrayList<>(balances.readRecordsToList());
    }

    /** Sum of a metric over all tasks, e.g. {@code duplicate-events-total}. */
    double metric(String name) {
        return driver.metrics().entrySet().stream().filter(m -> m.getKey().name().equals(name))
                .mapToDouble(m -> ((Number) m.getValue().metricValue()).doubleValue()).sum();
    }

    @Override
    public void close() {
        driver.close();
        try (var files = Files.walk(stateDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
