package io.tollgate.billing;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A consumer over a fixed log of one single-partition topic, for replica tests without a broker: Kafka's
 * {@link MockConsumer} handing out the log from wherever it is sought to, and remembering where that was.
 */
public final class LogConsumer extends MockConsumer<String, byte[]> {
    private final TopicPartition partition;
    private final List<ConsumerRecord<String, byte[]>> log;
    private final List<String> seeks = new CopyOnWriteArrayList<>();
    private boolean filled;

    public LogConsumer(String topic, List<ConsumerRecord<String, byte[]>> log) {
        super("earliest");
        this.partition = new TopicPartition(topic, 0);
        this.log = new ArrayList<>(log);
        updatePartitions(topic, List.of(new PartitionInfo(topic, 0, null, null, null)));
        updateBeginningOffsets(Map.of(partition, 0L));
        updateEndOffsets(Map.of(partition, (long) log.size()));
    }

    /** Records of {@code topic}'s partition 0 at offsets 0, 1, ... */
    public static List<ConsumerRecord<String, byte[]>> records(String topic, List<Map.Entry<String, byte[]>> keysAndValues) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        for (int offset = 0; offset < keysAndValues.size(); offset++) {
            records.add(new ConsumerRecord<>(topic, 0, offset, keysAndValues.get(offset).getKey(), keysAndValues.get(offset).getValue()));
        }
        return records;
    }

    /** Where each partition was sought to, in order: {@code "beginning"} or the offset. */
    public List<String> seeks() {
        return seeks;
    }

    @Override
    public synchronized void seek(TopicPartition tp, long offset) {
        seeks.add(Long.toString(offset));
        super.seek(tp, offset);
    }

    @Override
    public synchronized void seekToBeginning(Collection<TopicPartition> partitions) {
        partitions.forEach(p -> seeks.add("beginning"));
        super.seekToBeginning(partitions);
    }

    @Override
    public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
        if (!filled && assignment().contains(partition)) {
            log.forEach(this::addRecord);
            filled = true;
        }
        ConsumerRecords<String, byte[]> records = super.poll(timeout);
        if (records.isEmpty()) {
            // a real poll waits up to its timeout for records; do not spin
            LockSupport.parkNanos(Duration.ofMillis(Math.min(10, timeout.toMillis())).toNanos());
        }
        return records;
    }
}
