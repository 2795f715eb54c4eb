package io.tollgate.deploy.finance;

import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.TopicReaders;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every committed record of a topic up to the end offsets it had when reading started, partition by partition in
 * offset order: read {@code read_committed} ({@link TopicReaders}), so records of aborted transactions are never
 * counted and the end offsets are the last stable offsets. Records that cannot be decoded are counted, not returned.
 */
public final class TopicSnapshot<T extends SpecificRecord> {
    private final List<Reconciliation.Read<T>> records;
    private final long undecodable;

    private TopicSnapshot(List<Reconciliation.Read<T>> records, long undecodable) {
        this.records = records;
        this.undecodable = undecodable;
    }

    public List<Reconciliation.Read<T>> records() {
        return records;
    }

    public List<T> values() {
        return records.stream().map(Reconciliation.Read::value).toList();
    }

    public long undecodable() {
        return undecodable;
    }

    public static <T extends SpecificRecord> TopicSnapshot<T> read(Map<String, Object> kafka, String registryUrl, String topic,
                                                                   Class<T> type, Duration timeout) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "tollgate-reconcile");
        AvroSerde<T> serde = AvroSerde.forValues(type, registryUrl);
        List<Reconciliation.Read<T>> records = new ArrayList<>();
        long undecodable = 0;
        try (KafkaConsumer<String, byte[]> consumer = TopicReaders.consumer(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new AdminConnection.FinanceCliException("topic " + topic + " does not exist");
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AdminConnection.FinanceCliException("could not read " + topic + " to its end within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.offset() >= end.get(new TopicPartition(topic, record.partition()))) {
                        continue;
                    }
                    try {
                        T value = serde.deserialize(topic, record.value());
                        if (value != null) {
                            records.add(new Reconciliation.Read<>(record.partition(), record.offset(), record.key(), value));
                        }
                    } catch (RuntimeException e) {
                        undecodable++;
                    }
                }
            }
        }
        records.sort(Comparator.comparingInt((Reconciliation.Read<T> r) -> r.partition()).thenComparingLong(Reconciliation.Read::offset));
        return new TopicSnapshot<>(records, undecodable);
    }
}
