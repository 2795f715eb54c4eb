package io.tollgate.localstack.junit;

import io.tollgate.schemas.topics.TopicSpec;

/**
 * A running Kafka broker and Confluent-compatible schema registry, handed to integration tests by
 * {@link TollgateStackExtension}. One stack serves every test of a test JVM, so each test names its own
 * topics and application ids with {@link #unique(String)}.
 */
public interface KafkaStack {
    /** {@code 127.0.0.1:PORT} (embedded) or whatever the external stack or container gives. */
    String bootstrapServers();

    /** Base URL of the Confluent Schema Registry API, e.g. {@code http://127.0.0.1:PORT/apis/ccompat/v7}. */
    String schemaRegistryUrl();

    /** {@code prefix} followed by a suffix that no other call (in any JVM) returns: for topics, groups, application ids. */
    String unique(String prefix);

    /** Creates the topic {@code spec} describes (partitions, cleanup policy, configs; replication 1) and waits for it. */
    void createTopic(TopicSpec spec);

    /** Creates a delete-policy topic with {@code partitions} partitions and waits for it. */
    void createTopic(String name, int partitions);

    /**
     * Stops the broker cleanly; it keeps its port and data for {@link #startBroker()}. Embedded mode only:
     * throws {@link UnsupportedOperationException} against an external stack or containers.
     */
    void stopBroker();

    /** SIGKILLs the broker (a crash); {@link #startBroker()} brings it back with its data. Embedded mode only. */
    void killBroker();

    /** Starts the broker again on the same port and data and waits until it answers. Embedded mode only. */
    void startBroker();

    /**
     * SIGSTOPs the broker: its connections stay open and nothing answers, as with a frozen host. {@link #thawBroker()}
     * lets it go on. Embedded mode only.
     */
    void freezeBroker();

    /** SIGCONTs the broker after {@link #freezeBroker()}. Embedded mode only. */
    void thawBroker();

    /** Which kind of stack this is. */
    Mode mode();

    enum Mode {
        /** A forked KRaft broker and Apicurio registry started by the extension from the project's own jars. */
        EMBEDDED,
        /** Testcontainers: a Kafka and an Apicurio container (when a Docker engine is reachable). */
        CONTAINERS,
        /** An existing stack named by TOLLGATE_TEST_BOOTSTRAP_SERVERS and TOLLGATE_TEST_SCHEMA_REGISTRY_URL. */
        EXTERNAL
    }
}
