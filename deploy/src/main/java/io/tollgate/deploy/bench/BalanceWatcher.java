package io.tollgate.deploy.bench;

import io.tollgate.avro.Balance;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.TopicReaders;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Reads {@code billing.balances} as billing-service does (read_committed, from the beginning) and keeps each
 * consumer's latest usage: to time when a burst is fully reflected in balances, and to check at the end that every
 * balance counts exactly what Tollgate acknowledged.
 */
final class BalanceWatcher implements AutoCloseable {
    private final KafkaConsumer<String, Balance> consumer;
    private final Map<String, ExpectedUsage.Units> latest = new ConcurrentHashMap<>();
    private final AtomicLong totalRequests = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    BalanceWatcher(String bootstrapServers, String schemaRegistryUrl) {
        consumer = TopicReaders.consumer(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "tollgate-bench-balances",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100),
                new StringDeserializer(), AvroSerde.forValues(Balance.class, schemaRegistryUrl).deserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.BILLING_BALANCES.name(), Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread = new Thread(this::poll, "bench-balance-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void poll() {
        try {
            while (!closed) {
                for (ConsumerRecord<String, Balance> record : consumer.poll(Duration.ofMillis(200))) {
                    Map<String, Long> usage = record.value().getUsage();
                    ExpectedUsage.Units units = new ExpectedUsage.Units(usage.getOrDefault("requests", 0L),
                            usage.getOrDefault("input_tokens", 0L), usage.getOrDefault("output_tokens", 0L));
                    ExpectedUsage.Units before = latest.put(record.key(), units);
                    totalRequests.addAndGet(units.requests() - (before == null ? 0 : before.requests()));
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    long totalRequests() {
        return totalRequests.get();
    }

    /** When (System.nanoTime) the balances counted {@code requests} calls in all, or -1 after {@code timeout}. */
    long awaitTotalRequests(long requests, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (failure != null) {
                throw new IllegalStateException("reading billing.balances failed: " + failure.getMessage(), failure);
            }
            if (totalRequests.get() >= requests) {
                return System.nanoTime();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return -1;
    }

    Map<String, ExpectedUsage.Units> snapshot() {
        return new TreeMap<>(latest);
    }

    @Override
    public void close() {
        closed = true;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
