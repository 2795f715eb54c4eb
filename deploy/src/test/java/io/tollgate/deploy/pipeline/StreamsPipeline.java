package io.tollgate.deploy.pipeline;

import io.tollgate.avro.UsageEvent;
import io.tollgate.deploy.ServiceSpec;
import io.tollgate.deploy.TollgateCli;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A real metering-streams and a real billing-service, each its shaded jar run as its own process, on this run's own
 * topics, application id, state directory, free ports and tokens, against the test stack's broker and registry.
 * Tests write usage events to {@link Topics#USAGE_EVENTS its usage.events} as metering-ingest does (key consumer, record
 * timestamp = event time) and account events through billing-service's admin API; every {@code Balance} and
 * {@code UsageAggregate} they then read was produced by metering-streams. The processes' logs stay in
 * {@link #dataDir()} when a test fails (named in the first log line); they are deleted after {@link #passed()}.
 */
public final class StreamsPipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamsPipeline.class);
    private static final Duration READY = Duration.ofMinutes(3);

    /** This run's topics, created with the contract's partitions and policies. */
    public record PipelineTopics(String usageEvents, String dlq, String accounts, String balances, String hourly) {
    }

    private final KafkaStack stack;
    private final PipelineTopics topics;
    private final String applicationId;
    private final String adminToken = "admin-" + UUID.randomUUID();
    private final String decisionToken = "decide-" + UUID.randomUUID();
    private final Path dataDir;
    private final ServiceProcesses processes;
    private final KafkaProducer<String, UsageEvent> usageProducer;
    private boolean passed;

    private StreamsPipeline(KafkaStack stack, String name) throws IOException {
        this.stack = stack;
        this.topics = new PipelineTopics(stack.unique("usage.events"), stack.unique("usage.events.dlq"), stack.unique("billing.accounts"),
                stack.unique("billing.balances"), stack.unique("usage.hourly"));
        stack.createTopic(Topics.USAGE_EVENTS.withName(topics.usageEvents()));
        stack.createTopic(Topics.USAGE_EVENTS_DLQ.withName(topics.dlq()));
        stack.createTopic(Topics.BILLING_ACCOUNTS.withName(topics.accounts()));
        stack.createTopic(Topics.BILLING_BALANCES.withName(topics.balances()));
        stack.createTopic(Topics.USAGE_HOURLY.withName(topics.hourly()));
        this.applicationId = stack.unique("tollgate-metering-" + name);
        this.dataDir = Files.createTempDirectory("tollgate-" + name + "-");
        log.info("{}: metering-streams and billing-service logs in {} (kept if the test fails)", name, dataDir.resolve("logs"));
        this.processes = new ServiceProcesses(TollgateCli.repoRoot(), dataDir, environments());
        this.usageProducer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).serializer());
    }

    /** Creates the topics, starts metering-streams then billing-service, and waits until both answer {@code /readyz} 200. */
    public static StreamsPipeline start(KafkaStack stack, String name) throws IOException {
        StreamsPipeline pipeline = new StreamsPipeline(stack, name);
        try {
            pipeline.processes.start(ServiceSpec.METERING_STREAMS);
            pipeline.processes.start(ServiceSpec.BILLING_SERVICE);
            pipeline.processes.awaitReady(ServiceSpec.METERING_STREAMS, READY);
            pipeline.processes.awaitReady(ServiceSpec.BILLING_SERVICE, READY);
            return pipeline;
        } catch (RuntimeException | Error e) {
            pipeline.close();
            throw e;
        }
    }

    private Map<ServiceSpec, Map<String, String>> environments() {
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrapServers(), "SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl(),
                "TOLLGATE_ADMIN_TOKENS", adminToken);
        Map<String, String> streams = new LinkedHashMap<>(common);
        streams.put("TOLLGATE_STREAMS_APPLICATION_ID", applicationId);
        streams.put("TOLLGATE_STATE_DIR", dataDir.resolve("streams-state").toString());
        streams.put("TOLLGATE_TOPIC_USAGE_EVENTS", topics.usageEvents());
        streams.put("TOLLGATE_TOPIC_USAGE_EVENTS_DLQ", topics.dlq());
        streams.put("TOLLGATE_TOPIC_BILLING_ACCOUNTS", topics.accounts());
        streams.put("TOLLGATE_TOPIC_BILLING_BALANCES", topics.balances());
        streams.put("TOLLGATE_TOPIC_USAGE_HOURLY", topics.hourly());

        Map<String, String> billing = new LinkedHashMap<>(common);
        billing.put("TOLLGATE_BILLING_BALANCES_TOPIC", topics.balances());
        billing.put("TOLLGATE_BILLING_ACCOUNTS_TOPIC", topics.accounts());
        billing.put("TOLLGATE_BILLING_USAGE_HOURLY_TOPIC", topics.hourly());
        billing.put("TOLLGATE_DECISION_STREAMS_APPLICATION_ID", applicationId);
        billing.put("TOLLGATE_DECISION_USAGE_EVENTS_TOPIC", topics.usageEvents());
        billing.put("TOLLGATE_DECISION_TOKENS", decisionToken);
        billing.put("TOLLGATE_BILLING_EVENT_LOOPS", "1");
        billing.put("TOLLGATE_BILLING_GRPC_PORT", "-1");

        Map<ServiceSpec, Map<String, String>> environments = new LinkedHashMap<>();
        environments.put(ServiceSpec.METERING_STREAMS, streams);
        environments.put(ServiceSpec.BILLING_SERVICE, billing);
        return environments;
    }

    public PipelineTopics topics() {
        return topics;
    }

    public String billingUrl() {
        return processes.url(ServiceSpec.BILLING_SERVICE);
    }

    public String decisionToken() {
        return decisionToken;
    }

    public BillingAdmin admin() {
        return new BillingAdmin(billingUrl(), adminToken);
    }

    public Path dataDir() {
        return dataDir;
    }

    /**
     * Writes the events to usage.events in this order, as metering-ingest writes them (key = consumer, record
     * timestamp = event time), and returns once Kafka acknowledged every one.
     */
    public void send(List<UsageEvent> events) {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (UsageEvent event : events) {
            acks.add(usageProducer.send(new ProducerRecord<>(topics.usageEvents(), null, event.getEventTime().toEpochMilli(),
                    event.getConsumer(), event)));
        }
        usageProducer.flush();
        for (Future<RecordMetadata> ack : acks) {
            try {
                ack.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new AssertionError("a usage event was not acknowledged: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while sending usage events", e);
            }
        }
    }

    /**
     * Waits until metering-streams has committed, on every partition of usage.events, the offset after the last event
     * written: every event sent is counted into its state and its outputs are pending or published. (Balances are
     * published at most 100 ms, hourly totals 1 s, after they change: readers still wait for what they need.)
     */
    public void awaitStreamsCaughtUp(Duration atMost) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            await("metering-streams has committed every event of " + topics.usageEvents()).atMost(atMost)
                    .pollInterval(Duration.ofMillis(250)).pollInSameThread().until(() -> {
                        processes.requireAllAlive();
                        List<TopicPartition> partitions = admin.describeTopics(List.of(topics.usageEvents())).allTopicNames().get()
                                .get(topics.usageEvents()).partitions().stream()
                                .map(p -> new TopicPartition(topics.usageEvents(), p.partition())).toList();
                        Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream().collect(Collectors.toMap(Function.identity(),
                                p -> OffsetSpec.latest())), new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
                                .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
                        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                                .partitionsToOffsetAndMetadata().get();
                        return partitions.stream().allMatch(p -> ends.get(p) == 0
                                || (committed.get(p) != null && committed.get(p).offset() >= ends.get(p)));
                    });
        }
    }

    /** Every service process still runs. */
    public void requireAlive() {
        processes.requireAllAlive();
    }

    /** The test passed: {@link #close()} deletes the data directory and the logs. */
    public void passed() {
        passed = true;
    }

    @Override
    public void close() {
        usageProducer.close(Duration.ofSeconds(5));
        processes.close();
        if (passed && !Boolean.getBoolean("tollgate.stack.keep")) {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + dataDir, e);
            }
        }
    }
}
