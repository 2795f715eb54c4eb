package io.tollgate.runtime;

import org.apache.kafka.common.config.ConfigDef;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Settings come from a {@link ConfigDef} (name, type, default, validator, doc line per setting), and are
 * overridden by environment variables and then by system properties. The variable of setting
 * {@code tollgate.ingest.port} is {@code TOLLGATE_INGEST_PORT}; of {@code kafka.bootstrap.servers},
 * {@code KAFKA_BOOTSTRAP_SERVERS}. Other {@code KAFKA_*} variables become Kafka client properties
 * ({@code KAFKA_SECURITY_PROTOCOL} to {@code security.protocol}), as Strimzi and the Kafka images do.
 */
public final class EnvConfig {
    public static final String BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String SHUTDOWN_TIMEOUT_MS = "tollgate.shutdown.timeout.ms";

    private EnvConfig() {
    }

    public static String envName(String setting) {
        return setting.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The raw values of every setting of {@code def} found in {@code env} or {@code sysProps}; the latter wins. */
    public static Map<String, Object> resolve(ConfigDef def, Map<String, String> env, Map<String, String> sysProps) {
        Map<String, Object> values = new HashMap<>();
        for (String name : def.names()) {
            String fromEnv = env.get(envName(name));
            if (fromEnv != null) {
                values.put(name, fromEnv);
            }
            String fromProp = sysProps.get(name);
            if (fromProp != null) {
                values.put(name, fromProp);
            }
        }
        return values;
    }

    /** {@link #resolve} on this process's environment and system properties. */
    public static Map<String, Object> resolve(ConfigDef def) {
        Map<String, String> props = new HashMap<>();
        System.getProperties().forEach((k, v) -> props.put(k.toString(), v.toString()));
        return resolve(def, System.getenv(), props);
    }

    /** Kafka client properties from {@code KAFKA_*} variables, except those that are Tollgate settings. */
    public static Map<String, Object> kafkaClientOverrides(ConfigDef def, Map<String, String> env) {
        Map<String, Object> out = new HashMap<>();
        env.forEach((k, v) -> {
            if (k.startsWith("KAFKA_") && !k.equals(envName(BOOTSTRAP_SERVERS))) {
                String property = k.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (!def.names().contains("kafka." + property)) {
                    out.put(property, v);
                }
            }
        });
        return out;
    }

    /** The shutdown deadline of {@link #SHUTDOWN_TIMEOUT_MS}, from a config built on {@link #withCommon}. */
    public static java.time.Duration shutdownTimeout(org.apache.kafka.common.config.AbstractConfig config) {
        return java.time.Duration.ofMillis(config.getLong(SHUTDOWN_TIMEOUT_MS));
    }

    /** Common settings every Tollgate service has. */
    public static ConfigDef withCommon(ConfigDef def) {
        return def
                .define(BOOTSTRAP_SERVERS, ConfigDef.Type.STRING, "127.0.0.1:9092", ConfigDef.Importance.HIGH,
                        "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS).")
                .define(SCHEMA_REGISTRY_URL, ConfigDef.Type.STRING, "http://127.0.0.1:8081/apis/ccompat/v7",
                        ConfigDef.Importance.HIGH, "Confluent-compatible schema registry base URL (env SCHEMA_REGISTRY_URL).")
                .define(SHUTDOWN_TIMEOUT_MS, ConfigDef.Type.LONG, 12_000L, ConfigDef.Range.atLeast(1_000), ConfigDef.Importance.LOW,
                        "On SIGTERM the service closes its parts and exits; if that takes longer than this, it halts "
                                + "(env TOLLGATE_SHUTDOWN_TIMEOUT_MS). Below Kubernetes' 30 s grace period, and below 15 s.");
    }
}
