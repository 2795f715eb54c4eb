package io.tollgate.ingest;

import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every setting of metering-ingest. Each one can be set by an environment variable named after it
 * ({@code tollgate.ingest.port} is {@code TOLLGATE_INGEST_PORT}) or a system property of the same name;
 * other {@code KAFKA_*} variables become Kafka client properties. The defaults run the local stack.
 */
public final class IngestConfig extends AbstractConfig {
    public static final String HOST = "tollgate.ingest.host";
    public static final String PORT = "tollgate.ingest.port";
    public static final String HTTP_INSTANCES = "tollgate.ingest.http.instances";
    public static final String TOKENS = "tollgate.ingest.tokens";
    public static final String MAX_BODY_BYTES = "tollgate.ingest.max.body.bytes";
    public static final String MAX_BATCH_EVENTS = "tollgate.ingest.max.batch.events";
    public static final String MAX_IN_FLIGHT_EVENTS = "tollgate.ingest.max.in.flight.events";
    public static final String MAX_IN_FLIGHT_BYTES = "tollgate.ingest.max.in.flight.bytes";
    public static final String RETRY_AFTER_SECONDS = "tollgate.ingest.retry.after.seconds";
    public static final String ACK_TIMEOUT_MS = "tollgate.ingest.ack.timeout.ms";
    public static final String DELIVERY_TIMEOUT_MS = "tollgate.ingest.delivery.timeout.ms";
    public static final String MAX_BLOCK_MS = "tollgate.ingest.max.block.ms";
    public static final String LINGER_MS = "tollgate.ingest.linger.ms";
    public static final String USAGE_TOPIC = "tollgate.ingest.topic.usage.events";
    public static final String DLQ_TOPIC = "tollgate.ingest.topic.dlq";
    public static final String KONG_TOPIC = "tollgate.ingest.topic.kong";
    public static final String APISIX_TOPIC = "tollgate.ingest.topic.apisix";
    public static final String CLOUDEVENTS_TOPIC = "tollgate.ingest.topic.cloudevents";
    public static final String APIPARK_TOPIC = "tollgate.ingest.topic.apipark";
    public static final String AWS_TOPIC = "tollgate.ingest.topic.aws";
    public static final String RAW_THREADS = "tollgate.ingest.raw.threads";
    public static final String RAW_COMMIT_INTERVAL_MS = "tollgate.ingest.raw.commit.interval.ms";
    public static final String RAW_ENABLED = "tollgate.ingest.raw.enabled";
    public static final String RAW_APPLICATION_ID = "tollgate.ingest.raw.application.id";
    public static final String RAW_STATE_DIR = "tollgate.ingest.raw.state.dir";
    public static final String RAW_SESSION_TIMEOUT_MS = "tollgate.ingest.raw.session.timeout.ms";
    public static final String RAW_HEARTBEAT_INTERVAL_MS = "tollgate.ingest.raw.heartbeat.interval.ms";
    public static final String RAW_TRANSACTION_TIMEOUT_MS = "tollgate.ingest.raw.transaction.timeout.ms";
    public static final String CREATE_TOPICS = "tollgate.ingest.create.topics";
    public static final String READINESS_KAFKA_TIMEOUT_MS = "tollgate.ingest.readiness.kafka.timeout.ms";

    public static final ConfigDef DEF = EnvConfig.withCommon(new ConfigDef())
            .define(HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                    "Interface the HTTP ingest listens on (0.0.0.0 in containers).")
            .define(PORT, Type.INT, 8080, Range.between(0, 65535), Importance.HIGH,
                    "HTTP ingest port (0 picks a free port).")
            .define(HTTP_INSTANCES, Type.INT, Runtime.getRuntime().availableProcessors(), Range.atLeast(1), Importance.LOW,
                    "HTTP servers sharing the port, one per event loop (default: the number of cores).")
            .define(TOKENS, Type.PASSWORD, "", Importance.HIGH,
                    "Comma-separated bearer tokens accepted on ingest endpoints; empty means ingest is open.")
            .define(MAX_BODY_BYTES, Type.INT, 5 * 1024 * 1024, Range.atLeast(1024), Importance.MEDIUM,
                    "Largest request body accepted; larger bodies get 413.")
            .define(MAX_BATCH_EVENTS, Type.INT, 10_000, Range.atLeast(1), Importance.MEDIUM,
                    "Most events in one request; more get 413.")
            .define(MAX_IN_FLIGHT_EVENTS, Type.LONG, 100_000L, Range.atLeast(1), Importance.MEDIUM,
                    "Events sent to Kafka but not yet acknowledged, across all requests; beyond it requests get 503.")
            .define(MAX_IN_FLIGHT_BYTES, Type.LONG, 64L * 1024 * 1024, Range.atLeast(1024), Importance.MEDIUM,
                    "Request-body bytes whose events are not yet acknowledged, across all requests; beyond it requests get 503.")
            .define(RETRY_AFTER_SECONDS, Type.INT, 2, Range.atLeast(1), Importance.LOW,
                    "Retry-After header value on 503 answers.")
            .define(ACK_TIMEOUT_MS, Type.INT, 5_000, Range.atLeast(100), Importance.MEDIUM,
                    "The longest a request waits for Kafka's acknowledgement: 202 when every event is acknowledged within it, "
                            + "else 503 with Retry-After, naming the events that were acknowledged.")
            .define(DELIVERY_TIMEOUT_MS, Type.INT, 10_000, Range.atLeast(1000), Importance.MEDIUM,
                    "Producer delivery.timeout.ms: how long the producer keeps trying to deliver an event after the request "
                            + "was answered; events still held by it count against the in-flight bound.")
            .define(MAX_BLOCK_MS, Type.INT, 2_000, Range.atLeast(0), Importance.LOW,
                    "Producer max.block.ms: the longest a send waits for topic metadata.")
            .define(LINGER_MS, Type.INT, 5, Range.atLeast(0), Importance.LOW,
                    "Producer linger.ms: batching delay traded for throughput.")
            .define(USAGE_TOPIC, Type.STRING, Topics.USAGE_EVENTS.name(), Importance.MEDIUM,
                    "Topic normalized UsageEvents are written to, keyed by consumer id.")
            .define(DLQ_TOPIC, Type.STRING, Topics.USAGE_EVENTS_DLQ.name(), Importance.MEDIUM,
                    "Topic raw records that cannot be parsed or validated are written to, as DeadLetter.")
            .define(KONG_TOPIC, Type.STRING, Topics.KONG_LOGS.name(), Importance.MEDIUM,
                    "Raw topic Kong's kafka-log writes to.")
            .define(APISIX_TOPIC, Type.STRING, Topics.APISIX_LOGS.name(), Importance.MEDIUM,
                    "Raw topic APISIX's kafka-logger writes to.")
            .define(CLOUDEVENTS_TOPIC, Type.STRING, Topics.CLOUDEVENTS.name(), Importance.MEDIUM,
                    "Raw topic CloudEvents producers write to (structured JSON: an event or a batch array).")
            .define(APIPARK_TOPIC, Type.STRING, Topics.APIPARK_LOGS.name(), Importance.MEDIUM,
                    "Raw topic APIPark's (Apinto's) kafka_output writes to (one JSON access-log record per message).")
            .define(AWS_TOPIC, Type.STRING, Topics.AWS_LOGS.name(), Importance.MEDIUM,
                    "Raw topic carrying AWS API Gateway access-log lines (one JSON line per record).")
            .define(RAW_THREADS, Type.INT, 1, Range.atLeast(1), Importance.LOW,
                    "Kafka Streams threads of the raw-topic normalizer.")
            .define(RAW_COMMIT_INTERVAL_MS, Type.LONG, 100L, Range.atLeast(10), Importance.LOW,
                    "Transaction commit interval of the normalizer: longer batches more per transaction, delays output.")
            .define(RAW_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Run the raw-topic normalizer (Kafka Streams, exactly-once) in this process.")
            .define(RAW_APPLICATION_ID, Type.STRING, "tollgate-ingest-raw", Importance.MEDIUM,
                    "Kafka Streams application.id of the raw-topic normalizer (its consumer group and transactional ids).")
            .define(RAW_STATE_DIR, Type.STRING, Path.of(System.getProperty("java.io.tmpdir"), "tollgate-ingest").toString(),
                    Importance.LOW, "Kafka Streams state.dir (the normalizer keeps no state stores; only its lock files live here).")
            .define(RAW_SESSION_TIMEOUT_MS, Type.INT, 6_000, Range.atLeast(1), Importance.MEDIUM,
                    "Normalizer main consumer session.timeout.ms: how long its group waits before it gives the raw partitions of "
                            + "an instance that stopped heartbeating (a SIGKILL, a crash) to the others (Kafka's default 45000). "
                            + "Brokers accept 6000 and more by default.")
            .define(RAW_HEARTBEAT_INTERVAL_MS, Type.INT, 1_500, Range.atLeast(1), Importance.LOW,
                    "Normalizer main consumer heartbeat.interval.ms; at most a third of the session timeout.")
            .define(RAW_TRANSACTION_TIMEOUT_MS, Type.INT, 5_000, Range.atLeast(1_000), Importance.MEDIUM,
                    "Normalizer producer transaction.timeout.ms (Streams' default 10000): the open transaction of a dead instance "
                            + "blocks read_committed readers of usage.events, and the instance taking its partitions over, until "
                            + "the broker aborts it after this.")
            .define(CREATE_TOPICS, Type.BOOLEAN, true, Importance.LOW,
                    "Create the topics this service reads and writes at start-up when they are missing.")
            .define(READINESS_KAFKA_TIMEOUT_MS, Type.LONG, 5_000L, Range.atLeast(1000), Importance.LOW,
                    "GET /readyz answers 503 once Kafka has not answered for this long (it is asked every second).");

    public IngestConfig(Map<?, ?> originals) {
        super(DEF, originals, false);
    }

    /** Settings from this process's environment variables and system properties. */
    public static IngestConfig fromEnvironment() {
        return new IngestConfig(EnvConfig.resolve(DEF));
    }

    public Set<String> tokens() {
        Password value = getPassword(TOKENS);
        return Arrays.stream(value.value().split(",")).map(String::trim).filter(t -> !t.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    public String bootstrapServers() {
        return getString(EnvConfig.BOOTSTRAP_SERVERS);
    }

    public String schemaRegistryUrl() {
        return getString(EnvConfig.SCHEMA_REGISTRY_URL);
    }
}
