package io.tollgate.streams.failover;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageEvent;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import io.tollgate.streams.MeteringConfig;
import io.tollgate.streams.TopicNames;
import io.tollgate.streams.TopicSetup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.awaitility.Awaitility.await;

/**
 * One fail-over measurement: two metering-streams instances (the shaded jar, each its own process) share the work of
 * 24 consumers whose events flow at a steady rate; one instance is SIGKILLed; for every consumer, the time from the kill
 * until a committed balance (read_committed from billing.balances) counts an event sent after the kill. The consumers of
 * the killed instance measure the fail-over; the survivor's measure ordinary freshness.
 */
public final class FailoverRun {
    private static final Map<String, MeterPrice> PRICES = Map.of("requests", new MeterPrice(2_000_000L, 1L, 0L, null));
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * A configuration under test: settings of both instances (by setting name: {@code tollgate.*}, or a Kafka client
     * property as a {@code KAFKA_*} variable) and group configs set on the broker before the group starts.
     */
    public record Lever(String name, Map<String, String> settings, Map<String, String> kafkaClient, Map<String, String> groupConfigs) {
    }

    /** Per consumer, ms from the kill until its balance moved again (-1: it did not within the observation time). */
    public record Result(String lever, List<String> victimConsumers, Map<String, Long> stallMs) {
        public long maxStallOf(List<String> consumers) {
            return consumers.stream().mapToLong(c -> stallMs.getOrDefault(c, -1L) < 0 ? Long.MAX_VALUE : stallMs.get(c)).max().orElse(-1);
        }

        public long maxStall() {
            return maxStallOf(List.copyOf(stallMs.keySet()));
        }

        public String summary() {
            List<String> survivors = stallMs.keySet().stream().filter(c -> !victimConsumers.contains(c)).toList();
            List<Long> victims = victimConsumers.stream().map(c -> stallMs.getOrDefault(c, -1L)).sorted().toList();
            return String.format("%-28s killed instance hosted %2d of %d consumers: their balances moved again after %s s "
                            + "(median %s s); the survivor's consumers: at most %s s", lever, victimConsumers.size(), stallMs.size(),
                    seconds(maxStallOf(victimConsumers)), victims.isEmpty() ? "-" : seconds(victims.get(victims.size() / 2)),
                    seconds(maxStallOf(survivors)));
        }

        private static String seconds(long ms) {
            return ms == Long.MAX_VALUE || ms < 0 ? "never" : String.format("%.1f", ms / 1000.0);
        }
    }

    /** Balance queries take an admin token; the instances accept this one. */
    private static final String ADMIN_TOKEN = "failover-" + UUID.randomUUID();
    private final String bootstrap;
    private final String registry;
    private final Path work;
    private final Path jar;

    public FailoverRun(String bootstrap, String registry, Path work, Path jar) {
        this.bootstrap = bootstrap;
        this.registry = registry;
        this.work = work;
        this.jar = jar;
    }

    public Result measure(Lever lever, int consumerCount, int eventsPerSecond, Duration steady, Duration observe) throws Exception {
        String run = lever.name().replaceAll("[^a-zA-Z0-9-]", "-") + "-" + UUID.randomUUID().toString().substring(0, 6);
        TopicNames topics = TopicNames.prefixed("failover-" + run + ".");
        String applicationId = "failover-" + run;
        List<String> consumers = new ArrayList<>();
        for (int i = 0; i < consumerCount; i++) {
            consumers.add("fo-" + i);
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            TopicSetup.ensure(admin, topics, true);
            if (!lever.groupConfigs().isEmpty()) {
                List<AlterConfigOp> ops = lever.groupConfigs().entrySet().stream()
                        .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET)).toList();
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, applicationId), ops))
                        .all().get(30, TimeUnit.SECONDS);
            }
        }
        AvroSerde<UsageEvent> usageSerde = AvroSerde.forValues(UsageEvent.class, registry);
        List<Instance> instances = new ArrayList<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicLongArray sent = new AtomicLongArray(consumerCount);
        Map<String, List<long[]>> observed = new ConcurrentHashMap<>();
        Thread watcher = null;
        Thread traffic = null;
        KafkaProducer<String, byte[]> producer = producer();
        try {
            setUpAccounts(producer, topics, consumers);
            for (String name : List.of("survivor", "victim")) {
                instances.add(Instance.start(name, jar, environment(lever, topics, applicationId, work.resolve(run + "-" + name)),
                        work.resolve(run + "-" + name + ".log")));
            }
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> instances.stream().allMatch(Instance::ready));

            watcher = new Thread(() -> watchBalances(topics.balances(), observed, sending), "failover-balance-watcher");
            watcher.start();
            traffic = new Thread(() -> send(producer, usageSerde, topics.usageEvents(), consumers, eventsPerSecond, sent, sending),
                    "failover-traffic");
            traffic.start();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                    .until(() -> consumers.stream().allMatch(c -> observed.containsKey(c)));
            Instance victim = instances.get(1);
            await("the victim hosts some consumers").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !victim.hosted(consumers).isEmpty());
            Thread.sleep(steady.toMillis()); // a steady stretch of traffic before the kill: a measurement window, not a wait for readiness
            List<String> victimConsumers = victim.hosted(consumers);

            long killed = System.nanoTime();
            victim.process.destroyForcibly();
            long[] sentAtKill = new long[consumerCount];
            for (int i = 0; i < consumerCount; i++) {
                sentAtKill[i] = sent.get(i);
            }
            Map<String, Long> stall = new LinkedHashMap<>();
            long deadline = killed + observe.toNanos();
            while (System.nanoTime() < deadline && stall.size() < consumerCount) {
                for (int i = 0; i < consumerCount; i++) {
                    String consumer = consumers.get(i);
                    if (stall.containsKey(consumer)) {
                        continue;
                    }
                    for (long[] seen : List.copyOf(observed.getOrDefault(consumer, List.of()))) {
                        if (seen[0] >= killed && seen[1] > sentAtKill[i]) {
                            stall.put(consumer, TimeUnit.NANOSECONDS.toMillis(seen[0] - killed));
                            break;
                        }
                    }
                }
                Thread.sleep(100); // polling what the watcher thread recorded
            }
            consumers.forEach(c -> stall.putIfAbsent(c, -1L));
            return new Result(lever.name(), victimConsumers, stall);
        } finally {
            sending.set(false);
            if (traffic != null) {
                traffic.join(10_000);
            }
            if (watcher != null) {
                watcher.join(10_000);
            }
            producer.close(Duration.ofSeconds(10));
            instances.forEach(Instance::stop);
        }
    }

    private Map<String, String> environment(Lever lever, TopicNames topics, String applicationId, Path stateDir) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(EnvConfig.envName(EnvConfig.BOOTSTRAP_SERVERS), bootstrap);
        env.put(EnvConfig.envName(EnvConfig.SCHEMA_REGISTRY_URL), registry);
        env.put(EnvConfig.envName(MeteringConfig.APPLICATION_ID), applicationId);
        env.put(EnvConfig.envName(MeteringConfig.STATE_DIR), stateDir.toString());
        env.put(EnvConfig.envName(MeteringConfig.HTTP_PORT), Integer.toString(freePort()));
        env.put(EnvConfig.envName(MeteringConfig.ADMIN_TOKENS), ADMIN_TOKEN);
        env.put(EnvConfig.envName(MeteringConfig.TOPIC_USAGE_EVENTS), topics.usageEvents());
        env.put(EnvConfig.envName(MeteringConfig.TOPIC_BILLING_ACCOUNTS), topics.billingAccounts());
        env.put(EnvConfig.envName(MeteringConfig.TOPIC_BALANCES), topics.balances());
        env.put(EnvConfig.envName(MeteringConfig.TOPIC_USAGE_HOURLY), topics.usageHourly());
        env.put(EnvConfig.envName(MeteringConfig.TOPIC_DLQ), topics.deadLetters());
        lever.settings().forEach((setting, value) -> env.put(EnvConfig.envName(setting), value));
        lever.kafkaClient().forEach((property, value) -> env.put("KAFKA_" + EnvConfig.envName(property), value));
        return env;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private void setUpAccounts(KafkaProducer<String, byte[]> producer, TopicNames topics, List<String> consumers) throws Exception {
        AvroSerde<AccountEvent> serde = AvroSerde.forValues(AccountEvent.class, registry);
        Instant now = Instant.now();
        PlanDefined plan = new PlanDefined("pro", "USD", "month", new HashMap<>(PRICES));
        for (int partition = 0; partition < Topics.CONSUMER_PARTITIONS; partition++) {
            producer.send(new ProducerRecord<>(topics.billingAccounts(), partition, "pro",
                    serde.serialize(topics.billingAccounts(), new AccountEvent("plan-" + partition, now, plan))));
        }
        for (String consumer : consumers) {
            producer.send(new ProducerRecord<>(topics.billingAccounts(), consumer, serde.serialize(topics.billingAccounts(),
                    new AccountEvent("cu-" + consumer, now, new ConsumerUpdated(consumer, "pro", "active", "prepaid", null)))));
            producer.send(new ProducerRecord<>(topics.billingAccounts(), consumer, serde.serialize(topics.billingAccounts(),
                    new AccountEvent("cg-" + consumer, now, new CreditsGranted(consumer, 1_000_000_000_000L, "failover", null)))));
        }
        producer.flush();
    }

    private static void send(KafkaProducer<String, byte[]> producer, AvroSerde<UsageEvent> serde, String topic, List<String> consumers,
                             int eventsPerSecond, AtomicLongArray sent, AtomicBoolean sending) {
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / eventsPerSecond;
        long next = System.nanoTime();
        long sequence = 0;
        while (sending.get()) {
            int index = (int) (sequence % consumers.size());
            String consumer = consumers.get(index);
            long now = System.currentTimeMillis();
            UsageEvent event = UsageEvent.newBuilder().setId("f-" + sequence).setSource("failover").setConsumer(consumer)
                    .setGateway("canonical").setEventTime(Instant.ofEpochMilli(now)).setIngestTime(Instant.ofEpochMilli(now))
                    .setMeters(Map.of("requests", 1L)).build();
            producer.send(new ProducerRecord<>(topic, consumer, serde.serialize(topic, event)));
            sent.incrementAndGet(index);
            sequence++;
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait); // pacing the open-loop traffic
            }
        }
    }

    private void watchBalances(String topic, Map<String, List<long[]>> observed, AtomicBoolean running) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, Balance> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                AvroSerde.forValues(Balance.class, registry).deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running.get()) {
                for (ConsumerRecord<String, Balance> record : consumer.poll(Duration.ofMillis(50))) {
                    long now = System.nanoTime();
                    Balance balance = record.value();
                    observed.computeIfAbsent(balance.getConsumer(), c -> new java.util.concurrent.CopyOnWriteArrayList<>())
                            .add(new long[] {now, balance.getUsage().getOrDefault("requests", 0L)});
                }
            }
        }
    }

    /** One metering-streams process. */
    private record Instance(String name, Process process, int port, Path log) {
        static Instance start(String name, Path jar, Map<String, String> env, Path log) throws IOException {
            Files.createDirectories(log.getParent());
            ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString());
            builder.environment().putAll(env);
            builder.redirectErrorStream(true).redirectOutput(log.toFile());
            return new Instance(name, builder.start(), Integer.parseInt(env.get(EnvConfig.envName(MeteringConfig.HTTP_PORT))), log);
        }

        boolean ready() {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited; see " + log);
            }
            return status("/readyz") == 200;
        }

        /** The consumers whose balance this instance serves itself (interactive queries answer 200, not a redirect). */
        List<String> hosted(List<String> consumers) {
            return consumers.stream().filter(c -> status("/v1/balances/" + c) == 200).toList();
        }

        private int status(String path) {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
                                .header("Authorization", "Bearer " + ADMIN_TOKEN).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        void stop() {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
