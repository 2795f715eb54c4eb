package io.tollgate.streams.bench;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageEvent;
import io.tollgate.localstack.ApicurioRegistry;
import io.tollgate.localstack.KafkaBroker;
import io.tollgate.localstack.Ports;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import io.tollgate.streams.MeteringApp;
import io.tollgate.streams.MeteringConfig;
import io.tollgate.streams.TopicNames;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * End-to-end benchmark of metering-streams with exactly-once (not a test; command in the module README).
 *
 * <ol>
 *   <li>Throughput: N events are produced first, then one instance is started; events/s = N / (time from RUNNING
 *       until the application's committed offsets reach the end of usage.events), at commit intervals 100, 500, 1000 ms.</li>
 *   <li>Freshness at a paced rate (default 10,000 events/s, commit interval 100 ms): for every event, the time from
 *       its send until a committed balance that counts it is read from billing.balances (read_committed); p50/p99.</li>
 * </ol>
 * Uses KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL when both are set, else starts the embedded broker and
 * registry of the localstack module. System properties: bench.events (300000), bench.consumers (1000),
 * bench.rate (10000), bench.seconds (30), bench.intervals (100,500,1000), bench.warmup.events (50000: one unreported
 * throughput run first, so that no measured run pays for the JIT compilation of the code it measures).
 */
public final class StreamsBench {
    private static final Map<String, MeterPrice> PRICES = Map.of(
            "requests", new MeterPrice(2_000_000L, 1L, 1000L, null),
            "input_tokens", new MeterPrice(500_000_000L, 1_000_000L, 0L, null),
            "output_tokens", new MeterPrice(1_500_000_000L, 1_000_000L, 0L, 5_000_000L));

    private final String bootstrap;
    private final String registry;
    private final Path work;

    private StreamsBench(String bootstrap, String registry, Path work) {
        this.bootstrap = bootstrap;
        this.registry = registry;
        this.work = work;
    }

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("streams-bench");
        String bootstrap = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        String registryUrl = System.getenv("SCHEMA_REGISTRY_URL");
        List<AutoCloseable> infra = new ArrayList<>();
        if (bootstrap == null || registryUrl == null) {
            KafkaBroker broker = new KafkaBroker(KafkaBroker.Settings.onFreePorts(work.resolve("broker")));
            broker.start();
            infra.add(broker);
            ApicurioRegistry apicurio = new ApicurioRegistry(ApicurioRegistry.Settings.inMemory(work.resolve("registry"), Ports.free()));
            apicurio.start();
            infra.add(apicurio);
            bootstrap = broker.bootstrapServers();
            registryUrl = apicurio.confluentUrl();
        }
        Thread stopInfra = new Thread(() -> closeAll(infra), "bench-stop-infra");
        Runtime.getRuntime().addShutdownHook(stopInfra);
        try {
            StreamsBench bench = new StreamsBench(bootstrap, registryUrl, work);
            int events = Integer.getInteger("bench.events", 300_000);
            int consumers = Integer.getInteger("bench.consumers", 1000);
            List<String> report = new ArrayList<>();
            int warmUp = Integer.getInteger("bench.warmup.events", 50_000);
            if (warmUp > 0) {
                System.out.println("warm-up, not reported: " + bench.throughput(warmUp, consumers, 1000));
            }
            for (String interval : System.getProperty("bench.intervals", "100,500,1000").split(",")) {
                if (interval.isBlank()) {
                    continue;
                }
                report.add(bench.throughput(events, consumers, Long.parseLong(interval.trim())));
                System.out.println(report.get(report.size() - 1));
            }
            int rate = Integer.getInteger("bench.rate", 10_000);
            int seconds = Integer.getInteger("bench.seconds", 30);
            report.add(bench.freshness(rate, seconds, consumers));
            System.out.println();
            System.out.println("== metering-streams bench (" + Runtime.getRuntime().availableProcessors() + " cores) ==");
            report.forEach(System.out::println);
        } finally {
            closeAll(infra);
            Runtime.getRuntime().removeShutdownHook(stopInfra);
        }
    }

    private static synchronized void closeAll(List<AutoCloseable> infra) {
        for (int i = infra.size() - 1; i >= 0; i--) {
            try {
                infra.remove(i).close();
            } catch (Exception e) {
                System.err.println("cannot stop " + e);
            }
        }
    }

    /** The application's configuration: its defaults, then {@code commitIntervalMs} when not null, then -Dtollgate.* properties. */
    private MeteringConfig config(TopicNames topics, String applicationId, Long commitIntervalMs) {
        Map<String, Object> values = new HashMap<>();
        values.put(EnvConfig.BOOTSTRAP_SERVERS, bootstrap);
        values.put(EnvConfig.SCHEMA_REGISTRY_URL, registry);
        values.put(MeteringConfig.APPLICATION_ID, applicationId);
        values.put(MeteringConfig.STATE_DIR, work.resolve(applicationId).toString());
        values.put(MeteringConfig.HTTP_PORT, "0");
        if (commitIntervalMs != null) {
            values.put(MeteringConfig.COMMIT_INTERVAL_MS, String.valueOf(commitIntervalMs));
        }
        values.put(MeteringConfig.TOPIC_USAGE_EVENTS, topics.usageEvents());
        values.put(MeteringConfig.TOPIC_BILLING_ACCOUNTS, topics.billingAccounts());
        values.put(MeteringConfig.TOPIC_BALANCES, topics.balances());
        values.put(MeteringConfig.TOPIC_USAGE_HOURLY, topics.usageHourly());
        values.put(MeteringConfig.TOPIC_DLQ, topics.deadLetters());
        System.getProperties().forEach((name, value) -> {
            if (name.toString().startsWith("tollgate.")) {
                values.put(name.toString(), value.toString());
            }
        });
        return new MeteringConfig(values, Map.of());
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private void setUpAccounts(KafkaProducer<String, byte[]> producer, TopicNames topics, int consumers) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            io.tollgate.streams.TopicSetup.ensure(admin, topics, true);
        }
        AvroSerde<AccountEvent> serde = AvroSerde.forValues(AccountEvent.class, registry);
        Instant now = Instant.now();
        PlanDefined plan = new PlanDefined("pro", "USD", "month", new HashMap<>(PRICES));
        for (int partition = 0; partition < Topics.CONSUMER_PARTITIONS; partition++) {
            producer.send(new ProducerRecord<>(topics.billingAccounts(), partition, "pro",
                    serde.serialize(topics.billingAccounts(), new AccountEvent("plan-" + partition, now, plan))));
        }
        for (int c = 0; c < consumers; c++) {
            String consumer = "consumer-" + c;
            producer.send(new ProducerRecord<>(topics.billingAccounts(), consumer, serde.serialize(topics.billingAccounts(),
                    new AccountEvent("cu-" + c, now, new ConsumerUpdated(consumer, "pro", "active", "prepaid", null)))));
            producer.send(new ProducerRecord<>(topics.billingAccounts(), consumer, serde.serialize(topics.billingAccounts(),
                    new AccountEvent("cg-" + c, now, new CreditsGranted(consumer, 1_000_000_000L, "bench", null)))));
        }
        producer.flush();
    }

    private static UsageEvent event(String consumer, long seq, long now) {
        Map<String, Long> meters = new HashMap<>(4);
        meters.put("requests", 1L);
        meters.put("input_tokens", 100 + seq % 2000);
        meters.put("output_tokens", 50 + seq % 700);
        return UsageEvent.newBuilder().setId("e-" + seq).setSource("bench").setConsumer(consumer).setGateway("canonical")
                .setEventTime(Instant.ofEpochMilli(now)).setIngestTime(Instant.ofEpochMilli(now)).setMeters(meters).build();
    }

    /** CPU time of this process's Kafka Streams threads, ns. */
    private static long streamThreadsCpuNanos() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = 0;
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().contains("StreamThread")) {
                total += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
            }
        }
        return total;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double loadAverage() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    String throughput(int events, int consumers, long commitIntervalMs) throws Exception {
        String run = "tp" + commitIntervalMs + "-" + UUID.randomUUID().toString().substring(0, 8);
        TopicNames topics = TopicNames.prefixed(run + ".");
        AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            setUpAccounts(producer, topics, consumers);
            long now = System.currentTimeMillis();
            for (int i = 0; i < events; i++) {
                String consumer = "consumer-" + (i % consumers);
                producer.send(new ProducerRecord<>(topics.usageEvents(), consumer,
                        serde.serialize(topics.usageEvents(), event(consumer, i, now + i / 100))));
            }
            producer.flush();
        }
        String applicationId = "bench-" + run;
        try (MeteringApp app = MeteringApp.start(config(topics, applicationId, commitIntervalMs));
             Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            awaitRunning(app.streams());
            long started = System.nanoTime();
            long threadCpuBefore = streamThreadsCpuNanos();
            long processCpuBefore = processCpuNanos();
            double loadBefore = loadAverage();
            Map<TopicPartition, Long> ends = endOffsets(admin, topics.usageEvents());
            Awaitility.await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                return ends.entrySet().stream().allMatch(end -> {
                    OffsetAndMetadata offset = committed.get(end.getKey());
                    return offset != null && offset.offset() >= end.getValue();
                });
            });
            double seconds = (System.nanoTime() - started) / 1e9;
            double threadCpuMicros = (streamThreadsCpuNanos() - threadCpuBefore) / 1e3 / events;
            double processCpuMicros = (processCpuNanos() - processCpuBefore) / 1e3 / events;
            return String.format("throughput commit.interval.ms=%d: %,.0f events/s (%,d events, %d consumers, %.1f s); "
                            + "stream thread CPU %.1f us/event, whole process CPU %.1f us/event; machine load average %.1f -> %.1f",
                    commitIntervalMs, events / seconds, events, consumers, seconds, threadCpuMicros, processCpuMicros,
                    loadBefore, loadAverage());
        }
    }

    String freshness(int rate, int seconds, int consumers) throws Exception {
        String run = "fresh-" + UUID.randomUUID().toString().substring(0, 8);
        TopicNames topics = TopicNames.prefixed(run + ".");
        AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);
        Map<String, List<Long>> sentAt = new ConcurrentHashMap<>();
        List<Long> latenciesMs = new ArrayList<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        String transactions = "";
        String settings = "";
        try (KafkaProducer<String, byte[]> producer = producer()) {
            setUpAccounts(producer, topics, consumers);
            MeteringConfig config = config(topics, "bench-" + run, null);
            settings = "commit.interval.ms=" + config.getLong(MeteringConfig.COMMIT_INTERVAL_MS) + ", flush "
                    + config.getLong(MeteringConfig.FLUSH_INTERVAL_MS) + " ms";
            try (MeteringApp app = MeteringApp.start(config);
                 KafkaConsumer<String, Balance> reader = balanceReader(topics.balances())) {
                awaitRunning(app.streams());
                Map<String, Long> counted = new HashMap<>();
                drain(reader, counted, sentAt, null, 0);
                double commitsBefore = metric(app.streams(), "stream-thread-metrics", "commit-total");
                double retriesBefore = metric(app.streams(), "producer-metrics", "record-retry-total");
                long measureStarted = System.nanoTime();
                Thread load = new Thread(() -> pace(producer, serde, topics, rate, seconds, consumers, sentAt, producing), "bench-load");
                long warmUpEnds = System.currentTimeMillis() + 5_000;
                load.start();
                while (producing.get() || !allCounted(sentAt, counted)) {
                    drain(reader, counted, sentAt, latenciesMs, warmUpEnds);
                    if (!producing.get() && System.currentTimeMillis() > warmUpEnds + seconds * 1000L + 60_000) {
                        break;
                    }
                }
                load.join();
                double measuredSeconds = (System.nanoTime() - measureStarted) / 1e9;
                double commits = metric(app.streams(), "stream-thread-metrics", "commit-total") - commitsBefore;
                transactions = String.format("%,.0f commits (%.1f/s, latency avg %.0f ms, max %.0f ms over the last 30 s), "
                                + "%,.0f produce retries of the Streams producer",
                        commits, commits / measuredSeconds, metric(app.streams(), "stream-thread-metrics", "commit-latency-avg"),
                        metric(app.streams(), "stream-thread-metrics", "commit-latency-max"),
                        metric(app.streams(), "producer-metrics", "record-retry-total") - retriesBefore);
            }
        }
        long[] sorted = latenciesMs.stream().mapToLong(Long::longValue).sorted().toArray();
        long total = sentAt.values().stream().mapToLong(List::size).sum();
        return String.format("freshness at %,d events/s for %d s (%s): p50 %d ms, p99 %d ms, max %d ms "
                        + "(%,d events measured after a 5 s warm-up, %,d sent); %s; machine load average %.1f",
                rate, seconds, settings, percentile(sorted, 0.50), percentile(sorted, 0.99),
                sorted.length == 0 ? -1 : sorted[sorted.length - 1], sorted.length, total, transactions, loadAverage());
    }

    /** Sum of a Kafka Streams client metric over its threads and clients (0 when absent). */
    private static double metric(KafkaStreams streams, String group, String name) {
        return streams.metrics().values().stream()
                .filter(m -> m.metricName().group().equals(group) && m.metricName().name().equals(name))
                .mapToDouble(m -> m.metricValue() instanceof Number n && !Double.isNaN(n.doubleValue()) ? n.doubleValue() : 0)
                .sum();
    }

    private static boolean allCounted(Map<String, List<Long>> sentAt, Map<String, Long> counted) {
        return sentAt.entrySet().stream().allMatch(e -> counted.getOrDefault(e.getKey(), 0L) >= e.getValue().size());
    }

    private void pace(KafkaProducer<String, byte[]> producer, AvroSerde<UsageEvent> serde, TopicNames topics, int rate, int seconds,
                      int consumers, Map<String, List<Long>> sentAt, AtomicBoolean producing) {
        long start = System.nanoTime();
        long total = (long) rate * seconds;
        for (long i = 0; i < total; i++) {
            long due = start + i * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            String consumer = "consumer-" + (i % consumers);
            long now = System.currentTimeMillis();
            sentAt.computeIfAbsent(consumer, c -> java.util.Collections.synchronizedList(new ArrayList<>())).add(now);
            producer.send(new ProducerRecord<>(topics.usageEvents(), consumer, serde.serialize(topics.usageEvents(), event(consumer, i, now))));
        }
        producer.flush();
        producing.set(false);
    }

    /** A balance counting k requests makes the consumer's first k events visible (one partition, in order). */
    private static void drain(KafkaConsumer<String, Balance> reader, Map<String, Long> counted, Map<String, List<Long>> sentAt,
                              List<Long> latenciesMs, long warmUpEnds) {
        for (ConsumerRecord<String, Balance> record : reader.poll(Duration.ofMillis(20))) {
            long seen = System.currentTimeMillis();
            String consumer = record.key();
            long requests = record.value().getUsage().getOrDefault("requests", 0L);
            long before = counted.getOrDefault(consumer, 0L);
            if (requests <= before) {
                continue;
            }
            counted.put(consumer, requests);
            List<Long> sends = sentAt.get(consumer);
            if (latenciesMs == null || sends == null) {
                continue;
            }
            synchronized (sends) {
                for (long k = before; k < Math.min(requests, sends.size()); k++) {
                    long sent = sends.get((int) k);
                    if (sent >= warmUpEnds) {
                        latenciesMs.add(seen - sent);
                    }
                }
            }
        }
    }

    private KafkaConsumer<String, Balance> balanceReader(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        KafkaConsumer<String, Balance> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                AvroSerde.forValues(Balance.class, registry).deserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < Topics.CONSUMER_PARTITIONS; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    private static void awaitRunning(KafkaStreams streams) {
        Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                .until(() -> streams.state() == KafkaStreams.State.RUNNING);
    }

    private static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }
}
