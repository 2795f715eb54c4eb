package io.tollgate.deploy.crash;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.deploy.ServiceSpec;
import io.tollgate.deploy.TollgateCli;
import io.tollgate.deploy.finance.Reconciliation;
import io.tollgate.deploy.finance.TopicSnapshot;
import io.tollgate.deploy.pipeline.BillingAdmin;
import io.tollgate.deploy.pipeline.PlanMeter;
import io.tollgate.deploy.pipeline.ServiceProcesses;
import io.tollgate.localstack.Ports;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.schemas.money.Money;
import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 8 §3: calls with 20 % duplicates flow through ingest's HTTP endpoint and the raw CloudEvents topic while
 * metering-streams is SIGKILLed and restarted on its state directory, metering-ingest is SIGKILLed and restarted, and
 * the broker is stopped and started. HTTP batches that fail meanwhile are sent again with the same ids, as gateways
 * do. At the end every consumer's balance (usage per meter, spent, remaining) equals the values computed here from
 * the distinct calls, {@link Reconciliation} finds no difference between the topics, and no dead letter was written.
 *
 * <p>Default: {@value CrashPlan#DEFAULT_EVENTS} calls, {@value CrashPlan#DEFAULT_STREAM_KILLS} streams kills. Full run:
 * {@code -Dtollgate.crash.events=40000 -Dtollgate.crash.streamKills=4}.
 */
@Tag("integration")
@Timeout(value = 30, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class CrashIT {
    private static final Logger log = LoggerFactory.getLogger(CrashIT.class);

    static final String PLAN = "crash-pro";
    static final Map<String, PlanMeter> PRICES = prices();
    static final List<String> CONSUMERS = List.of("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "cyberdyne");
    static final String CREDITS = "100.00";
    static final Duration READY = Duration.ofMinutes(3);
    /** A SIGKILLed member leaves its consumer group after this, not the default 45 s: restarts take seconds, not minutes. */
    static final String SESSION_TIMEOUT_MS = "10000";
    /** The last this many batches of each share of the traffic are the window its fault strikes in, with calls in flight. */
    static final int STRIKE_WINDOW = 40;

    private static Map<String, PlanMeter> prices() {
        Map<String, PlanMeter> prices = new LinkedHashMap<>();
        prices.put(CrashTraffic.REQUESTS, new PlanMeter("0.002", 1, 1_000));
        prices.put(CrashTraffic.INPUT_TOKENS, new PlanMeter("0.50", 1_000_000, 0));
        prices.put(CrashTraffic.OUTPUT_TOKENS, new PlanMeter("1.50", 1_000_000, 0));
        return Map.copyOf(prices);
    }

    /** This run's topics: the contract's specs (partitions, cleanup) under unique names. */
    record CrashTopics(String usageEvents, String dlq, String accounts, String balances, String hourly,
                       String kong, String apisix, String cloudEvents, String apipark, String aws) {
        static CrashTopics create(KafkaStack stack) {
            CrashTopics t = new CrashTopics(stack.unique("usage.events"), stack.unique("usage.events.dlq"), stack.unique("billing.accounts"),
                    stack.unique("billing.balances"), stack.unique("usage.hourly"), stack.unique("gateway.kong.logs"),
                    stack.unique("gateway.apisix.logs"), stack.unique("gateway.cloudevents"), stack.unique("gateway.apipark.logs"),
                    stack.unique("gateway.aws.logs"));
            Map<TopicSpec, String> names = Map.of(Topics.USAGE_EVENTS, t.usageEvents, Topics.USAGE_EVENTS_DLQ, t.dlq,
                    Topics.BILLING_ACCOUNTS, t.accounts, Topics.BILLING_BALANCES, t.balances, Topics.USAGE_HOURLY, t.hourly,
                    Topics.KONG_LOGS, t.kong, Topics.APISIX_LOGS, t.apisix, Topics.CLOUDEVENTS, t.cloudEvents,
                    Topics.APIPARK_LOGS, t.apipark, Topics.AWS_LOGS, t.aws);
            names.forEach((spec, name) -> stack.createTopic(spec.withName(name)));
            return t;
        }
    }

    @Test
    void everyDistinctCallCountsOnceThroughStreamsKillsAnIngestKillAndABrokerRestart(KafkaStack stack) throws Exception {
        assumeTrue(stack.mode() == KafkaStack.Mode.EMBEDDED, "the crash test restarts the broker, which only the embedded stack allows");
        long began = System.nanoTime();
        CrashPlan plan = CrashPlan.fromSystemProperties();
        CrashTopics topics = CrashTopics.create(stack);
        Path dataDir = Files.createTempDirectory("tollgate-crash-");
        log.info("crash test: {} distinct calls, faults {}; service logs in {} (kept if the test fails)", plan.events(), plan.faults(),
                dataDir.resolve("logs"));
        String adminToken = "crash-" + UUID.randomUUID();
        ServiceProcesses services = new ServiceProcesses(TollgateCli.repoRoot(), dataDir, environments(stack, topics, dataDir, adminToken));
        List<Long> pids;
        try {
            run(plan, stack, topics, services, adminToken, began);
        } finally {
            services.close();
            pids = services.pids();
        }
        assertThat(pids).as("every service process started is gone").allSatisfy(pid ->
                assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d alive", pid).isFalse());
        assertThat(services.ports()).as("service ports free again").allSatisfy(port -> assertThat(Ports.isFree(port)).isTrue());
        if (!Boolean.getBoolean("tollgate.stack.keep")) {
            deleteTree(dataDir);
        }
        log.info("crash test passed in {} s", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began));
    }

    private void run(CrashPlan plan, KafkaStack stack, CrashTopics topics, ServiceProcesses services, String adminToken, long began)
            throws Exception {
        ServiceSpec.ALL.forEach(services::start);
        ServiceSpec.ALL.forEach(spec -> services.awaitReady(spec, READY));
        log.info("services ready after {} s", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began));

        BillingAdmin billing = new BillingAdmin(services.url(ServiceSpec.BILLING_SERVICE), adminToken);
        billing.putPlan(PLAN, "month", PRICES);
        Map<String, Long> credits = new TreeMap<>();
        for (String consumer : CONSUMERS) {
            billing.putPrepaidConsumer(consumer, PLAN);
            billing.grantCredits(consumer, CREDITS, "crash-welcome-" + consumer);
            credits.put(consumer, Money.parseMicros(CREDITS));
        }

        CrashTraffic traffic = CrashTraffic.generate(plan.events(), CONSUMERS, plan.seed(), stack.unique("call"), Instant.now());
        List<CrashPlan.Fault> faults = plan.faults();
        List<CrashTraffic.Batch> batches = traffic.batches();
        // Fault i strikes in the window [hold, end) of its share of the traffic: the gateway waits at hold until the
        // previous fault has recovered and at end until fault i has struck, so every fault hits calls in flight and the
        // next share is sent during the outage and the recovery, whatever the machine's speed.
        int[] holds = new int[faults.size()];
        int[] ends = new int[faults.size()];
        List<CountDownLatch> recovered = new ArrayList<>();
        List<CountDownLatch> struck = new ArrayList<>();
        for (int i = 0; i < faults.size(); i++) {
            ends[i] = batches.size() * (i + 1) / (faults.size() + 1);
            holds[i] = Math.max(i == 0 ? 0 : ends[i - 1], ends[i] - STRIKE_WINDOW);
            recovered.add(new CountDownLatch(i == 0 ? 0 : 1));
            struck.add(new CountDownLatch(1));
        }
        AtomicInteger sent = new AtomicInteger();
        long trafficBegan = System.nanoTime();
        ExecutorService gateway = Executors.newSingleThreadExecutor(r -> new Thread(r, "crash-gateway"));
        try (GatewaySender sender = new GatewaySender(services.url(ServiceSpec.METERING_INGEST), stack.bootstrapServers(), topics.cloudEvents())) {
            Future<?> delivering = gateway.submit(() -> {
                for (int b = 0; b < batches.size(); b++) {
                    for (int i = 0; i < faults.size(); i++) {
                        if (holds[i] == b) {
                            awaitGate(recovered.get(i), "fault " + i + " to recover");
                        }
                        if (ends[i] == b) {
                            awaitGate(struck.get(i), "fault " + (i + 1) + " to strike");
                        }
                    }
                    sender.send(batches.get(b));
                    sent.incrementAndGet();
                }
                sender.awaitTopicAcks(Duration.ofMinutes(5));
                return null;
            });
            for (int i = 0; i < faults.size(); i++) {
                recovered.get(i).countDown();
                int strikeAt = Math.min(ends[i], holds[i] + STRIKE_WINDOW / 2);
                await("traffic up to fault " + (i + 1)).atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> sent.get() >= strikeAt || delivering.isDone());
                if (delivering.isDone()) {
                    delivering.get();
                }
                long struckNanos = System.nanoTime();
                int struckAt = sent.get();
                inject(faults.get(i), stack, services, struck.get(i));
                log.info("fault {}/{} {} at batch {} of {}: back and ready in {} ms", i + 1, faults.size(), faults.get(i), struckAt,
                        batches.size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - struckNanos));
            }
            delivering.get(20, TimeUnit.MINUTES);
            log.info("traffic delivered in {} s: {} batches, {} calls delivered ({} planned duplicates), {} HTTP requests ({} retries,"
                            + " answers other than 202: {}), {} raw records produced again", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - trafficBegan),
                    batches.size(), traffic.deliveries(), traffic.duplicates(), sender.httpRequests(), sender.httpRetries(), sender.failedStatuses(),
                    sender.topicResends());
            if (plan.ingestKills() > 0) {
                assertThat(sender.failedStatuses()).as("HTTP sends refused while ingest was down, then sent again").containsKey(-1);
            }
        } finally {
            recovered.forEach(CountDownLatch::countDown);
            struck.forEach(CountDownLatch::countDown);
            gateway.shutdownNow();
        }
        services.requireAllAlive();

        Map<String, ExpectedBalances.Expected> expected = ExpectedBalances.of(traffic.calls(), PRICES, credits);
        assertThat(expected.keySet()).as("every consumer has calls").containsExactlyInAnyOrderElementsOf(CONSUMERS);
        long settling = System.nanoTime();
        List<String> wanted = CONSUMERS.stream().map(c -> describe(expected.get(c))).toList();
        await("every balance equals the distinct calls' usage and charges").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(CONSUMERS.stream().map(c -> describe(c, billing.balance(c).orElse(null))).toList())
                        .containsExactlyElementsOf(wanted));
        log.info("balances equal the expected values {} ms after the last delivery:\n  {}", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - settling),
                String.join("\n  ", wanted));

        Map<String, Object> kafka = Map.of("bootstrap.servers", stack.bootstrapServers());
        await("reconcile finds no difference").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            TopicSnapshot<UsageEvent> events = TopicSnapshot.read(kafka, stack.schemaRegistryUrl(), topics.usageEvents(), UsageEvent.class, Duration.ofMinutes(1));
            TopicSnapshot<AccountEvent> accounts = TopicSnapshot.read(kafka, stack.schemaRegistryUrl(), topics.accounts(), AccountEvent.class, Duration.ofMinutes(1));
            TopicSnapshot<UsageAggregate> hourly = TopicSnapshot.read(kafka, stack.schemaRegistryUrl(), topics.hourly(), UsageAggregate.class, Duration.ofMinutes(1));
            TopicSnapshot<Balance> balances = TopicSnapshot.read(kafka, stack.schemaRegistryUrl(), topics.balances(), Balance.class, Duration.ofMinutes(1));
            Reconciliation.Recomputed recomputed = Reconciliation.recompute(events.records(), accounts.records(), Duration.ofHours(24));
            assertThat(Reconciliation.compare(recomputed, hourly.values(), balances.values())).as("differences").isEmpty();
            assertThat(events.undecodable()).as("undecodable usage events").isZero();
            assertThat(recomputed.eventsCounted()).as("usage events counted by reconcile").isEqualTo(traffic.calls().size());
            assertThat(recomputed.duplicates()).as("duplicates dropped by reconcile").isGreaterThanOrEqualTo(traffic.duplicates());
            assertThat(recomputed.tooLate()).as("too late").isZero();
            assertThat(recomputed.invalid()).as("invalid").isZero();
            assertThat(recomputed.consumersSeen()).containsExactlyInAnyOrderElementsOf(CONSUMERS);
            for (ExpectedBalances.Expected e : expected.values()) {
                assertThat(recomputed.periodUnits(e.consumer()).values()).as("periods of %s", e.consumer()).containsExactly(e.usage());
            }
            log.info("reconcile: {} usage events read, {} counted, {} duplicates; {} hourly and {} balance records; no differences",
                    recomputed.eventsRead(), recomputed.eventsCounted(), recomputed.duplicates(), hourly.records().size(), balances.records().size());
        });
        assertThat(recordsIn(stack.bootstrapServers(), topics.dlq())).as("dead letters in " + topics.dlq()).isZero();
    }

    private static void awaitGate(CountDownLatch gate, String what) throws InterruptedException {
        if (!gate.await(15, TimeUnit.MINUTES)) {
            throw new AssertionError("the gateway waited 15 minutes for " + what);
        }
    }

    private static void inject(CrashPlan.Fault fault, KafkaStack stack, ServiceProcesses services, CountDownLatch gate) {
        switch (fault) {
            case KILL_STREAMS -> {
                services.kill(ServiceSpec.METERING_STREAMS);
                gate.countDown();
                services.start(ServiceSpec.METERING_STREAMS);
                services.awaitReady(ServiceSpec.METERING_STREAMS, READY);
            }
            case KILL_INGEST -> {
                services.kill(ServiceSpec.METERING_INGEST);
                gate.countDown();
                services.start(ServiceSpec.METERING_INGEST);
                services.awaitReady(ServiceSpec.METERING_INGEST, READY);
            }
            case RESTART_BROKER -> {
                stack.stopBroker();
                gate.countDown();
                stack.startBroker();
                ServiceSpec.ALL.forEach(spec -> services.awaitReady(spec, READY));
            }
        }
        services.requireAllAlive();
    }

    /** One line per consumer, so that a mismatch shows every field of every consumer at once. */
    static String describe(ExpectedBalances.Expected e) {
        return line(e.consumer(), new TreeMap<>(e.usage()), Money.formatMicros(e.creditsMicros()), Money.formatMicros(e.spentMicros()),
                Money.formatMicros(e.remainingMicros()));
    }

    static String describe(String consumer, JsonNode balance) {
        if (balance == null) {
            return consumer + " (no balance yet)";
        }
        Map<String, Long> usage = new TreeMap<>();
        balance.path("usage").fields().forEachRemaining(f -> usage.put(f.getKey(), f.getValue().asLong()));
        return line(balance.path("consumer").asText(), usage, balance.path("credits").asText(), balance.path("spent").asText(),
                balance.path("remaining").asText());
    }

    private static String line(String consumer, Map<String, Long> usage, String credits, String spent, String remaining) {
        return consumer + " usage " + usage + " credits " + credits + " spent " + spent + " remaining " + remaining;
    }

    static Map<ServiceSpec, Map<String, String>> environments(KafkaStack stack, CrashTopics topics, Path dataDir, String adminToken) {
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrapServers(), "SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl());
        Map<String, String> ingest = new LinkedHashMap<>(common);
        ingest.put("TOLLGATE_INGEST_TOPIC_USAGE_EVENTS", topics.usageEvents());
        ingest.put("TOLLGATE_INGEST_TOPIC_DLQ", topics.dlq());
        ingest.put("TOLLGATE_INGEST_TOPIC_KONG", topics.kong());
        ingest.put("TOLLGATE_INGEST_TOPIC_APISIX", topics.apisix());
        ingest.put("TOLLGATE_INGEST_TOPIC_CLOUDEVENTS", topics.cloudEvents());
        ingest.put("TOLLGATE_INGEST_TOPIC_APIPARK", topics.apipark());
        ingest.put("TOLLGATE_INGEST_TOPIC_AWS", topics.aws());
        ingest.put("TOLLGATE_INGEST_RAW_APPLICATION_ID", stack.unique("tollgate-ingest-raw"));
        ingest.put("TOLLGATE_INGEST_RAW_STATE_DIR", dataDir.resolve("ingest-state").toString());
        ingest.put("TOLLGATE_INGEST_HTTP_INSTANCES", "1");
        ingest.put("KAFKA_SESSION_TIMEOUT_MS", SESSION_TIMEOUT_MS);

        Map<String, String> streams = new LinkedHashMap<>(common);
        streams.put("TOLLGATE_STREAMS_APPLICATION_ID", stack.unique("tollgate-metering"));
        streams.put("TOLLGATE_STATE_DIR", dataDir.resolve("streams-state").toString());
        streams.put("TOLLGATE_TOPIC_USAGE_EVENTS", topics.usageEvents());
        streams.put("TOLLGATE_TOPIC_USAGE_EVENTS_DLQ", topics.dlq());
        streams.put("TOLLGATE_TOPIC_BILLING_ACCOUNTS", topics.accounts());
        streams.put("TOLLGATE_TOPIC_BILLING_BALANCES", topics.balances());
        streams.put("TOLLGATE_TOPIC_USAGE_HOURLY", topics.hourly());
        streams.put("KAFKA_SESSION_TIMEOUT_MS", SESSION_TIMEOUT_MS);

        Map<String, String> billing = new LinkedHashMap<>(common);
        billing.put("TOLLGATE_BILLING_BALANCES_TOPIC", topics.balances());
        billing.put("TOLLGATE_BILLING_ACCOUNTS_TOPIC", topics.accounts());
        billing.put("TOLLGATE_BILLING_USAGE_HOURLY_TOPIC", topics.hourly());
        billing.put("TOLLGATE_BILLING_EVENT_LOOPS", "1");
        billing.put("TOLLGATE_BILLING_GRPC_PORT", String.valueOf(Ports.free()));
        billing.put("TOLLGATE_ADMIN_TOKENS", adminToken);

        Map<ServiceSpec, Map<String, String>> environments = new LinkedHashMap<>();
        environments.put(ServiceSpec.METERING_INGEST, ingest);
        environments.put(ServiceSpec.METERING_STREAMS, streams);
        environments.put(ServiceSpec.BILLING_SERVICE, billing);
        return environments;
    }

    private static long recordsIn(String bootstrapServers, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, Duration.ofSeconds(30));
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            return partitions.stream().mapToLong(p -> end.get(p) - begin.get(p)).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
