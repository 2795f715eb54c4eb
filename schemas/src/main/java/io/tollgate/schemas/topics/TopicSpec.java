package io.tollgate.schemas.topics;

import java.util.Map;

/**
 * One Kafka topic of the contract: its name, partitions, cleanup policy and the types of its key and
 * value. {@code valueType} is the generated Avro class for Avro topics, or {@code byte[].class} for
 * raw gateway topics whose values are JSON written by the gateways.
 */
public record TopicSpec(String name, int partitions, String cleanupPolicy, Class<?> keyType, Class<?> valueType,
                        boolean keyedByConsumer, String writer, Map<String, String> configs) {

    public boolean isAvro() {
        return org.apache.avro.specific.SpecificRecord.class.isAssignableFrom(valueType);
    }

    /** The same topic under another name (tests use unique names per test). */
    public TopicSpec withName(String newName) {
        return new TopicSpec(newName, partitions, cleanupPolicy, keyType, valueType, keyedByConsumer, writer, configs);
    }

    public TopicSpec withPartitions(int newPartitions) {
        return new TopicSpec(name, newPartitions, cleanupPolicy, keyType, valueType, keyedByConsumer, writer, configs);
    }
}
