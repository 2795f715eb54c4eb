package io.tollgate.billing.accounts;

import io.tollgate.runtime.OpsRoutes.Readiness;
import io.tollgate.schemas.topics.TopicReaders;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
import java.util.function.Supplier;

/**
 * Reads every partition of one topic from the beginning, forever, on its own thread, and hands each record
 * to a handler: the way this service materializes billing.accounts and usage.hourly locally. No consumer
 * group: every instance reads everything, {@code read_committed} ({@link TopicReaders}). {@link #caughtUp()} turns
 * true once every partition has been read up to the end offsets it had when reading started. A record that cannot be
 * decoded is logged, counted and skipped; it never stops the replica.
 *
 * <p>When reading fails (a handler throws, the consumer fails), a new consumer starts again after a pause from the
 * offsets already applied, so no record is handed over twice; {@link #readiness()} is not ready meanwhile, with the
 * cause. A thread that dies of an {@link Error} is not restarted, and readiness reports it for good.
 */
public final class TopicReplica<T> implements AutoCloseable {
    public interface Handler<T> {
        void accept(String key, T value, int partition, long offset);
    }

    private static final Logger log = LoggerFactory.getLogger(TopicReplica.class);
    private static final Duration RESTART_AFTER = Duration.ofSeconds(2);
    private final String topic;
    private final Supplier<Consumer<String, byte[]>> consumers;
    private final Deserializer<T> valueDeserializer;
    private final Handler<T> handler;
    private final Duration restartAfter;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicLong recordsRead = new AtomicLong();
    private final AtomicLong recordsSkipped = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    /** Next offset to read per partition: where a restarted reader resumes. Reader thread only. */
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private volatile boolean caughtUp;
    private volatile boolean running;
    private volatile String status = "not started";
    private volatile String failure;
    private volatile Throwable died;
    private volatile Consumer<String, byte[]> consumer;
    private Thread thread;

    public TopicReplica(String topic, Map<String, Object> kafkaConfig, Deserializer<T> valueDeserializer, Handler<T> handler) {
        this(topic, consumerFactory(kafkaConfig), valueDeserializer, handler, RESTART_AFTER);
    }

    TopicReplica(String topic, Supplier<Consumer<String, byte[]>> consumers, Deserializer<T> valueDeserializer, Handler<T> handler,
                 Duration restartAfter) {
        this.topic = topic;
        this.consumers = consumers;
        this.valueDeserializer = valueDeserializer;
        this.handler = handler;
        this.restartAfter = restartAfter;
    }

    private static Supplier<Consumer<String, byte[]>> consumerFactory(Map<String, Object> kafkaConfig) {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        Map<String, Object> committed = TopicReaders.committed(config);
        return () -> TopicReaders.consumer(committed, new StringDeserializer(), new ByteArrayDeserializer());
    }

    public synchronized void start() {
        if (thread != null) {
            return;
        }
        running = true;
        thread = new Thread(this::run, "replica-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                readOnce();
                if (!running || closing.await(restartAfter.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
                restarts.incrementAndGet();
                log.info("restarting the replica of {} from the offsets already applied", topic);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            died = e;
            status = "stopped: " + e;
            log.error("replica of {} stopped for good", topic, e);
        }
    }

    /** One consumer's life: returns when closed or after a failure, which it records. */
    private void readOnce() {
        Consumer<String, byte[]> c = consumers.get();
        consumer = c;
        try {
            Map<TopicPartition, Long> target = assignAll(c);
            if (target == null) {
                return;
            }
            failure = null;
            status = caughtUp ? "caught up with " + topic : "reading " + topic;
            while (running) {
                for (ConsumerRecord<String, byte[]> record : c.poll(Duration.ofMillis(500))) {
                    apply(record);
                    positions.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
                }
                if (!caughtUp && target.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                    caughtUp = true;
                    status = "caught up with " + topic;
                    log.info("replica of {} caught up after {} records", topic, recordsRead.get());
                }
            }
        } catch (WakeupException e) {
            if (running) {
                failed(e);
            }
        } catch (RuntimeException e) {
            failed(e);
        } finally {
            consumer = null;
            c.close(Duration.ofSeconds(2));
        }
    }

    private void failed(RuntimeException e) {
        failure = e.toString();
        status = "failed, restarting in " + restartAfter.toMillis() + " ms: " + e;
        log.error("replica of {} failed; restarting it in {} ms", topic, restartAfter.toMillis(), e);
    }

    /**
     * Assigns every partition, seeks each to where this replica stopped (the beginning the first time) and returns the
     * end offsets; waits for the topic to exist. Null when closed first.
     */
    private Map<TopicPartition, Long> assignAll(Consumer<String, byte[]> c) {
        while (running) {
            try {
                List<PartitionInfo> partitions = c.partitionsFor(topic, Duration.ofSeconds(5));
                if (partitions != null && !partitions.isEmpty()) {
                    List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
                    c.assign(assigned);
                    for (TopicPartition partition : assigned) {
                        Long next = positions.get(partition);
                        if (next == null) {
                            c.seekToBeginning(List.of(partition));
                        } else {
                            c.seek(partition, next);
                        }
                    }
                    return c.endOffsets(assigned, Duration.ofSeconds(5));
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

    /**
     * Ready once caught up, while its reader runs; not ready while it waits to restart after a failure, and for good
     * once its thread has died. The reason names the topic and the cause.
     */
    public Readiness readiness() {
        Throwable error = died;
        if (error != null) {
            return Readiness.notReady("the replica of " + topic + " stopped: " + error);
        }
        String failed = failure;
        if (failed != null) {
            return Readiness.notReady("the replica of " + topic + " is restarting after a failure: " + failed);
        }
        return caughtUp ? Readiness.yes() : Readiness.notReady(status);
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

    /** How many times the reader was started again after a failure. */
    public long restarts() {
        return restarts.get();
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
        Consumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
