package io.tollgate.streams;

import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.topics.Topics;
import io.tollgate.streams.errors.DeadLetterHandler;
import io.tollgate.streams.rocksdb.BoundedMemoryRocksDBConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Every setting of metering-streams, with its environment variable ({@link EnvConfig#envName}). */
public final class MeteringConfig extends AbstractConfig {
    public static final String APPLICATION_ID = "tollgate.streams.application.id";
    public static final String STATE_DIR = "tollgate.state.dir";
    public static final String HTTP_HOST = "tollgate.streams.http.host";
    public static final String HTTP_PORT = "tollgate.streams.http.port";
    public static final String ADMIN_TOKENS = "tollgate.admin.tokens";
    public static final String ADVERTISED_HOST = "tollgate.streams.advertised.host";
    public static final String DEDUP_WINDOW_MS = "tollgate.dedup.window.ms";
    public static final String FLUSH_INTERVAL_MS = "tollgate.balance.flush.interval.ms";
    public static final String HOURLY_FLUSH_INTERVAL_MS = "tollgate.hourly.flush.interval.ms";
    public static final String COMMIT_INTERVAL_MS = "tollgate.streams.commit.interval.ms";
    public static final String NUM_THREADS = "tollgate.streams.num.threads";
    public static final String NUM_STANDBYS = "tollgate.streams.num.standby.replicas";
    public static final String REPLICATION_FACTOR = "tollgate.streams.replication.factor";
    public static final String MAX_THREAD_REPLACEMENTS = "tollgate.streams.max.thread.replacements";
    public static final String CREATE_TOPICS = "tollgate.topics.create";
    public static final String TOPIC_USAGE_EVENTS = "tollgate.topic.usage.events";
    public static final String TOPIC_BILLING_ACCOUNTS = "tollgate.topic.billing.accounts";
    public static final String TOPIC_BALANCES = "tollgate.topic.billing.balances";
    public static final String TOPIC_USAGE_HOURLY = "tollgate.topic.usage.hourly";
    public static final String TOPIC_DLQ = DeadLetterHandler.DLQ_TOPIC;

    public static final ConfigDef DEF = EnvConfig.withCommon(new ConfigDef())
            .define(APPLICATION_ID, Type.STRING, "tollgate-metering", Importance.HIGH,
                    "Kafka Streams application.id: consumer group, transactional id prefix and internal topic prefix.")
            .define(STATE_DIR, Type.STRING, ".tollgate/metering-streams", Importance.HIGH,
                    "Directory of the RocksDB state stores (env TOLLGATE_STATE_DIR). Kept across restarts; never wiped at start.")
            .define(HTTP_HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM, "Address the HTTP server binds to.")
            .define(HTTP_PORT, Type.INT, 8070, Range.between(0, 65535), Importance.MEDIUM,
                    "Port of /healthz, /readyz, /metrics and /v1/balances/{consumer}.")
            .define(ADMIN_TOKENS, Type.PASSWORD, "", Importance.HIGH,
                    "Comma-separated bearer tokens GET /v1/balances/{consumer} accepts (env TOLLGATE_ADMIN_TOKENS, the same as "
                            + "billing-service's); none configured refuses every balance query (401).")
            .define(ADVERTISED_HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                    "Host other instances use to reach this one (application.server = host:port).")
            .define(DEDUP_WINDOW_MS, Type.LONG, Duration.ofHours(24).toMillis(), Range.atLeast(1), Importance.HIGH,
                    "Dedup window: an event older than stream time minus this goes to the DLQ as too late.")
            .define(FLUSH_INTERVAL_MS, Type.LONG, 100L, Range.atLeast(1), Importance.MEDIUM,
                    "Changed balances are published every this many ms of wall-clock time.")
            .define(HOURLY_FLUSH_INTERVAL_MS, Type.LONG, 1000L, Range.atLeast(1), Importance.MEDIUM,
                    "Changed hourly totals (usage.hourly) are published every this many ms of wall-clock time.")
            .define(COMMIT_INTERVAL_MS, Type.LONG, 100L, Range.atLeast(1), Importance.MEDIUM,
                    "Kafka Streams commit.interval.ms (one exactly-once transaction per interval).")
            .define(NUM_THREADS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM, "Stream threads of this instance.")
            .define(NUM_STANDBYS, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                    "num.standby.replicas: warm copies of each store on other instances, for fast fail-over.")
            .define(REPLICATION_FACTOR, Type.INT, -1, Importance.MEDIUM,
                    "Replication factor of internal topics (changelogs); -1 uses the broker default.")
            .define(MAX_THREAD_REPLACEMENTS, Type.INT, 3, Range.atLeast(0), Importance.MEDIUM,
                    "A failed stream thread is replaced at most this many times; then the instance shuts down.")
            .define(CREATE_TOPICS, Type.BOOLEAN, true, Importance.LOW, "Create missing topics of the contract at start-up.")
            .define(TOPIC_USAGE_EVENTS, Type.STRING, Topics.USAGE_EVENTS.name(), Importance.LOW, "Usage events topic (input).")
            .define(TOPIC_BILLING_ACCOUNTS, Type.STRING, Topics.BILLING_ACCOUNTS.name(), Importance.LOW, "Account events topic (input).")
            .define(TOPIC_BALANCES, Type.STRING, Topics.BILLING_BALANCES.name(), Importance.LOW, "Balances topic (output, compacted).")
            .define(TOPIC_USAGE_HOURLY, Type.STRING, Topics.USAGE_HOURLY.name(), Importance.LOW, "Hourly usage topic (output).")
            .define(TOPIC_DLQ, Type.STRING, Topics.USAGE_EVENTS_DLQ.name(), Importance.LOW, "Dead-letter topic (output).")
            .define(BoundedMemoryRocksDBConfig.BLOCK_CACHE_BYTES, Type.LONG, 256L * 1024 * 1024, Range.atLeast(1024 * 1024), Importance.MEDIUM,
                    "RocksDB block cache shared by every store of the process, bytes (memtables are charged to it too).")
            .define(BoundedMemoryRocksDBConfig.WRITE_BUFFER_BYTES, Type.LONG, 128L * 1024 * 1024, Range.atLeast(1024 * 1024), Importance.MEDIUM,
                    "RocksDB memtable budget shared by every store of the process, bytes (part of the block cache).");

    static final int STREAMS_PRODUCER_RETRY_BACKOFF_MS = 20;

    private final Map<String, Object> kafkaOverrides;

    public MeteringConfig(Map<String, ?> values, Map<String, Object> kafkaOverrides) {
        super(DEF, values, false);
        this.kafkaOverrides = Map.copyOf(kafkaOverrides);
    }

    /** From this process's environment ({@code TOLLGATE_*}, {@code KAFKA_*}) and system properties. */
    public static MeteringConfig fromEnvironment() {
        return new MeteringConfig(EnvConfig.resolve(DEF), EnvConfig.kafkaClientOverrides(DEF, System.getenv()));
    }

    public TopicNames topics() {
        return new TopicNames(getString(TOPIC_USAGE_EVENTS), getString(TOPIC_BILLING_ACCOUNTS), getString(TOPIC_BALANCES),
                getString(TOPIC_USAGE_HOURLY), getString(TOPIC_DLQ));
    }

    public MeteringTopology.Settings topologySettings() {
        return new MeteringTopology.Settings(topics(), Duration.ofMillis(getLong(DEDUP_WINDOW_MS)),
                Duration.ofMillis(getLong(FLUSH_INTERVAL_MS)), Duration.ofMillis(getLong(HOURLY_FLUSH_INTERVAL_MS)));
    }

    public String bootstrapServers() {
        return getString(EnvConfig.BOOTSTRAP_SERVERS);
    }

    public String schemaRegistryUrl() {
        return getString(EnvConfig.SCHEMA_REGISTRY_URL);
    }

    public int httpPort() {
        return getInt(HTTP_PORT);
    }

    /** The tokens {@code GET /v1/balances/{consumer}} accepts: billing-service's admin tokens. */
    public BearerTokens adminTokens() {
        Password tokens = getPassword(ADMIN_TOKENS);
        return BearerTokens.parse(tokens == null ? "" : tokens.value());
    }

    /** Kafka client properties (KAFKA_* overrides, e.g. security settings) for admin clients. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new HashMap<>(kafkaOverrides);
        props.put("bootstrap.servers", bootstrapServers());
        return props;
    }

    /** The Kafka Streams properties; {@code httpPort} is the port actually bound (for application.server). */
    public Properties streamsProperties(int httpPort) {
        Properties props = new Properties();
        props.putAll(kafkaOverrides);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        props.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, getLong(COMMIT_INTERVAL_MS));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, getInt(NUM_THREADS));
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, getInt(NUM_STANDBYS));
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, getInt(REPLICATION_FACTOR));
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, getString(ADVERTISED_HOST) + ":" + httpPort);
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDBConfig.class);
        props.put(BoundedMemoryRocksDBConfig.BLOCK_CACHE_BYTES, getLong(BoundedMemoryRocksDBConfig.BLOCK_CACHE_BYTES));
        props.put(BoundedMemoryRocksDBConfig.WRITE_BUFFER_BYTES, getLong(BoundedMemoryRocksDBConfig.WRITE_BUFFER_BYTES));
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(DeadLetterHandler.DLQ_TOPIC, getString(TOPIC_DLQ));
        props.put(EnvConfig.SCHEMA_REGISTRY_URL, schemaRegistryUrl());
        // With transactions v2 the first produce of a transaction to a partition gets CONCURRENT_TRANSACTIONS while
        // the markers of the previous commit are still being written (the broker itself retries for 100 ms first);
        // the producer's default 100 ms before its retry is all added latency (KAFKA-20000). Retries stay idempotent.
        props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), STREAMS_PRODUCER_RETRY_BACKOFF_MS);
        return props;
    }
}
