package io.tollgate.billing.accounts;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads every partition of one topic from the beginning, forever, on its own thread, and hands each record
 * to a handler: the way this service materializes billing.accounts and usage.hourly locally. No consumer
 * group: every instance reads everything. {@link #caughtUp()} turns true once every partition has been read
 * up to the end offsets it had when reading started. A record that cannot be decoded is logged, counted
 * and skipped; it never stops the replica.
 */
public final class TopicReplica<T> implements AutoCloseable {
    public interface Handler<T> {
        void accept(String key, T value, int partition, long offset);
    }

    private static final Logger log = LoggerFactory.getLogger(TopicReplica.class);
    private final String topic;
    private final Map<String, Object> consumerConfig;
    private final Deserializer<T> valueDeserializer;
    private final Handler<T> handler;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicLong recordsRead = new AtomicLong();
    private final AtomicLong recordsSkipped = new AtomicLong();
    private volatile boolean caughtUp;
    private volatile boolean running;
    private volatile String status = "not started";
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public TopicReplica(String topic, Map<String, Object> kafkaConfig, Deserializer<T> valueDeserializer, Handler<T> handler) {
        this.topic = topic;
        this.consumerConfig = new HashMap<>(kafkaConfig);
        this.consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.consumerConfig.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        this.valueDeserializer = valueDeserializer;
        this.handler = handler;
    }

    public synchronized void start() {
        if (thread != null) {
            return;
        }
        running = true;
        consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
        thread = new Thread(this::run, "replica-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            Map<TopicPartition, Long> target = assignAll();
            if (target == null) {
                return;
            }
            status = "reading " + topic;
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    apply(record);
                }
                if (!caughtUp && target.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                    caughtUp = true;
                    status = "caught up with " + topic;
                    log.info("replica of {} caught up after {} records", topic, recordsRead.get());
                }
            }
        } catch (WakeupException e) {
            if (running) {
                status = "stopped unexpectedly: " + e;
                log.error("replica of {} woken up while running", topic, e);
            }
        } catch (RuntimeException e) {
            status = "failed: " + e.getMessage();
            log.error("replica of {} failed", topic, e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    /** Assigns every partition and returns their end offsets; waits for the topic to exist. Null when closed first. */
    private Map<TopicPartition, Long> assignAll() {
        while (running) {
            try {
                List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5));
                if (partitions != null && !partitions.isEmpty()) {
                    List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
                    consumer.assign(assigned);
                    consumer.seekToBeginning(assigned);
                    return consumer.endOffsets(assigned, Duration.ofSeconds(5));
                }
                status = "waiting for topic " + topic;
                log.info("topic {} does not exist yet; waiting", topic);
            } catch (org.apache.kafka.common.errors.RetriableException e) {
                // Kafka not reachable yet (a service may start before its broker): keep trying, stay not ready.
                status = "waiting for Kafka to read " + topic + ": " + e.getMessage();
                log.warn("cannot reach Kafka to read {} ({}); retrying", topic, e.getMessage());
            }
            try {
                if (closing.await(2, TimeUnit.SECONDS)) {
                    return null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        T value;
        try {
            value = valueDeserializer.deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            recordsSkipped.incrementAndGet();
            log.warn("skipping undecodable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        if (value != null) {
            handler.accept(record.key(), value, record.partition(), record.offset());
        }
        recordsRead.incrementAndGet();
    }

    public boolean caughtUp() {
        return caughtUp;
    }

    public String status() {
        return status;
    }

    public long recordsRead() {
        return recordsRead.get();
    }

    public long recordsSkipped() {
        return recordsSkipped.get();
    }

    @Override
    public void close() {
        Thread reader;
        synchronized (this) {
            reader = thread;
            running = false;
        }
        closing.countDown();
        if (reader == null) {
            return;
        }
        consumer.wakeup();
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
