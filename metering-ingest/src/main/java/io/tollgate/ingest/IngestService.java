package io.tollgate.ingest;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.format.ApiparkLogParser;
import io.tollgate.ingest.format.ApisixLogParser;
import io.tollgate.ingest.format.AwsAccessLogParser;
import io.tollgate.ingest.format.CloudEventsParser;
import io.tollgate.ingest.format.KongLogParser;
import io.tollgate.ingest.http.IngestHttpServer;
import io.tollgate.ingest.publish.KafkaUsagePublisher;
import io.tollgate.ingest.raw.RawTopicsTopology;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.runtime.KafkaReachability;
import io.tollgate.runtime.OpsRoutes;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import io.vertx.core.Vertx;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * metering-ingest wired together: the HTTP server, the usage publisher and the raw-topic normalizer.
 * {@link IngestMain} runs it as a process; tests and benchmarks run it in theirs.
 */
public final class IngestService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IngestService.class);
    private static final int MAX_THREAD_REPLACEMENTS = 3;

    private final PrometheusMeterRegistry prometheus;
    private final KafkaUsagePublisher publisher;
    private final KafkaStreams streams;
    private final KafkaReachability kafka;
    private final Vertx vertx;
    private final int port;

    private IngestService(PrometheusMeterRegistry prometheus, KafkaUsagePublisher publisher, KafkaStreams streams,
                          KafkaReachability kafka, Vertx vertx, int port) {
        this.prometheus = prometheus;
        this.publisher = publisher;
        this.streams = streams;
        this.kafka = kafka;
        this.vertx = vertx;
        this.port = port;
    }

    public static IngestService start(IngestConfig config) throws Exception {
        return start(config, EnvConfig.kafkaClientOverrides(IngestConfig.DEF, System.getenv()));
    }

    /** Starts everything; {@code kafkaOverrides} are extra Kafka client properties (security settings...). */
    public static IngestService start(IngestConfig config, Map<String, Object> kafkaOverrides) throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        IngestMetrics metrics = new IngestMetrics(prometheus);
        if (config.getBoolean(IngestConfig.CREATE_TOPICS)) {
            createMissingTopics(config, kafkaOverrides);
        }
        String registry = config.schemaRegistryUrl();
        String usageTopic = config.getString(IngestConfig.USAGE_TOPIC);
        KafkaUsagePublisher publisher = KafkaUsagePublisher.create(
                KafkaUsagePublisher.producerConfig(config.bootstrapServers(), config.getInt(IngestConfig.DELIVERY_TIMEOUT_MS),
                        config.getInt(IngestConfig.MAX_BLOCK_MS), config.getInt(IngestConfig.LINGER_MS),
                        config.getLong(IngestConfig.MAX_IN_FLIGHT_BYTES), kafkaOverrides),
                AvroSerde.forValues(UsageEvent.class, registry).serializer(), usageTopic,
                config.getLong(IngestConfig.MAX_IN_FLIGHT_EVENTS), config.getLong(IngestConfig.MAX_IN_FLIGHT_BYTES),
                Duration.ofMillis(config.getInt(IngestConfig.ACK_TIMEOUT_MS)));

        KafkaStreams streams = null;
        if (config.getBoolean(IngestConfig.RAW_ENABLED)) {
            Topology topology = RawTopicsTopology.build(rawTopics(config),
                    new RawTopicsTopology.Sinks(usageTopic, AvroSerde.forValues(UsageEvent.class, registry),
                            config.getString(IngestConfig.DLQ_TOPIC), AvroSerde.forValues(DeadLetter.class, registry)),
                    metrics);
            log.info("raw-topic normalizer topology:\n{}", topology.describe());
            streams = new KafkaStreams(topology, streamsProperties(config, kafkaOverrides));
            AtomicInteger replaced = new AtomicInteger();
            streams.setUncaughtExceptionHandler(error -> {
                if (replaced.incrementAndGet() <= MAX_THREAD_REPLACEMENTS) {
                    log.error("raw-topic normalizer thread died; replacing it ({} of {})", replaced.get(), MAX_THREAD_REPLACEMENTS, error);
                    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
                }
                log.error("raw-topic normalizer thread died {} times; stopping the normalizer", replaced.get(), error);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            new KafkaStreamsMetrics(streams).bindTo(prometheus);
            streams.start();
        }

        Map<String, Object> kafkaClient = new HashMap<>(kafkaOverrides);
        kafkaClient.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        KafkaReachability kafka = KafkaReachability.start(kafkaClient, "tollgate-ingest-readiness",
                config.getLong(IngestConfig.READINESS_KAFKA_TIMEOUT_MS));

        Vertx vertx = Vertx.vertx();
        KafkaStreams normalizer = streams;
        IngestHttpServer http = new IngestHttpServer(vertx, config, publisher, metrics, prometheus,
                () -> readiness(publisher, normalizer, kafka), Clock.systemUTC());
        int port = http.start().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        log.info("metering-ingest listening on {}:{}", config.getString(IngestConfig.HOST), port);
        return new IngestService(prometheus, publisher, streams, kafka, vertx, port);
    }

    /** Every raw topic of the configuration with the parser of its format. */
    public static List<RawTopicsTopology.RawTopic> rawTopics(IngestConfig config) {
        return List.of(
                new RawTopicsTopology.RawTopic(config.getString(IngestConfig.KONG_TOPIC), new KongLogParser()),
                new RawTopicsTopology.RawTopic(config.getString(IngestConfig.APISIX_TOPIC), new ApisixLogParser()),
                new RawTopicsTopology.RawTopic(config.getString(IngestConfig.CLOUDEVENTS_TOPIC), new CloudEventsParser()),
                new RawTopicsTopology.RawTopic(config.getString(IngestConfig.APIPARK_TOPIC), new ApiparkLogParser()),
                new RawTopicsTopology.RawTopic(config.getString(IngestConfig.AWS_TOPIC), new AwsAccessLogParser()));
    }

    static Properties streamsProperties(IngestConfig config, Map<String, Object> kafkaOverrides) {
        Properties props = new Properties();
        props.putAll(kafkaOverrides);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(IngestConfig.RAW_APPLICATION_ID));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(IngestConfig.RAW_STATE_DIR));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.getInt(IngestConfig.RAW_THREADS));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.getLong(IngestConfig.RAW_COMMIT_INTERVAL_MS));
        props.put(StreamsConfig.producerPrefix("compression.type"), "lz4");
        props.put(StreamsConfig.producerPrefix("linger.ms"), 5);
        // With transactions V2 (Kafka 4) the first produce of a transaction that starts while the previous one's markers
        // are still being written is answered CONCURRENT_TRANSACTIONS and retried after retry.backoff.ms. The markers
        // take milliseconds; the default 100 ms (doubling up to 1 s) put that much latency on every commit cycle.
        props.put(StreamsConfig.producerPrefix("retry.backoff.ms"), 10);
        props.put(StreamsConfig.producerPrefix("retry.backoff.max.ms"), 100);
        // The fail-over settings of metering-streams (MeteringConfig). No standby: the normalizer has no store to keep warm.
        if (!"streams".equalsIgnoreCase(String.valueOf(props.get(StreamsConfig.GROUP_PROTOCOL_CONFIG)))) {
            putUnlessOverridden(props, StreamsConfig::mainConsumerPrefix, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
                    config.getInt(IngestConfig.RAW_SESSION_TIMEOUT_MS));
            putUnlessOverridden(props, StreamsConfig::mainConsumerPrefix, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                    config.getInt(IngestConfig.RAW_HEARTBEAT_INTERVAL_MS));
        }
        putUnlessOverridden(props, StreamsConfig::producerPrefix, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                config.getInt(IngestConfig.RAW_TRANSACTION_TIMEOUT_MS));
        return props;
    }

    /** A Kafka client property given as a {@code KAFKA_*} override, prefixed or not, wins over Tollgate's setting. */
    private static void putUnlessOverridden(Properties props, UnaryOperator<String> prefix, String property, Object value) {
        String prefixed = prefix.apply(property);
        if (!props.containsKey(prefixed) && !props.containsKey(property)) {
            props.put(prefixed, value);
        }
    }

    /** Not a latch: Kafka must answer now (see {@link KafkaReachability}), not only once at start-up. */
    private static OpsRoutes.Readiness readiness(KafkaUsagePublisher publisher, KafkaStreams streams, KafkaReachability kafka) {
        if (!publisher.connected()) {
            return OpsRoutes.Readiness.notReady("the producer has not reached Kafka yet");
        }
        OpsRoutes.Readiness reachable = kafka.readiness();
        if (!reachable.ready()) {
            return reachable;
        }
        if (streams != null && streams.state() != KafkaStreams.State.RUNNING) {
            return OpsRoutes.Readiness.notReady("raw-topic normalizer is " + streams.state());
        }
        return OpsRoutes.Readiness.yes();
    }

    private static void createMissingTopics(IngestConfig config, Map<String, Object> kafkaOverrides) {
        List<TopicSpec> wanted = new ArrayList<>(List.of(
                Topics.USAGE_EVENTS.withName(config.getString(IngestConfig.USAGE_TOPIC)),
                Topics.USAGE_EVENTS_DLQ.withName(config.getString(IngestConfig.DLQ_TOPIC))));
        if (config.getBoolean(IngestConfig.RAW_ENABLED)) {
            wanted.add(Topics.KONG_LOGS.withName(config.getString(IngestConfig.KONG_TOPIC)));
            wanted.add(Topics.APISIX_LOGS.withName(config.getString(IngestConfig.APISIX_TOPIC)));
            wanted.add(Topics.CLOUDEVENTS.withName(config.getString(IngestConfig.CLOUDEVENTS_TOPIC)));
            wanted.add(Topics.APIPARK_LOGS.withName(config.getString(IngestConfig.APIPARK_TOPIC)));
            wanted.add(Topics.AWS_LOGS.withName(config.getString(IngestConfig.AWS_TOPIC)));
        }
        Map<String, Object> adminProps = new HashMap<>(kafkaOverrides);
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        adminProps.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        adminProps.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(adminProps)) {
            Set<String> existing = admin.listTopics().names().get(15, TimeUnit.SECONDS);
            List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name()))
                    .map(t -> {
                        Map<String, String> configs = new HashMap<>(t.configs());
                        configs.put("cleanup.policy", t.cleanupPolicy());
                        return new NewTopic(t.name(), Optional.of(t.partitions()), Optional.empty()).configs(configs);
                    }).toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(15, TimeUnit.SECONDS);
                log.info("created topics {}", missing.stream().map(NewTopic::name).toList());
            }
        } catch (Exception e) {
            // Not fatal: the producer and the normalizer wait for Kafka, and /readyz says so.
            log.warn("could not check or create topics {}: {}", wanted.stream().map(TopicSpec::name).toList(), e.toString());
        }
    }

    public int port() {
        return port;
    }

    public boolean ready() {
        return readiness(publisher, streams, kafka).ready();
    }

    public KafkaStreams.State normalizerState() {
        return streams == null ? null : streams.state();
    }

    public PrometheusMeterRegistry metrics() {
        return prometheus;
    }

    /** Bounded whatever Kafka's state (at most about 10 s), so that the service stops within its shutdown deadline. */
    @Override
    public void close() {
        // Vert.x first, so no request is taken that the publisher can no longer answer.
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("the HTTP server did not close within 2 s: {}", e.toString());
        }
        if (streams != null && !streams.close(Duration.ofSeconds(4))) {
            log.warn("the raw-topic normalizer did not close within 4 s; going on");
        }
        publisher.close();
        kafka.close();
        prometheus.close();
    }
}
