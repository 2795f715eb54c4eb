package io.tollgate.ingest.publish;

import io.tollgate.avro.UsageEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link UsagePublisher} on an idempotent {@code acks=all} producer. {@code send()} can block (metadata,
 * the first schema registration), so sends run on one dedicated thread, never on the caller's. Memory is
 * bounded by {@link InFlightBound}; a send that fails or times out ({@code delivery.timeout.ms}) fails the
 * whole request, which the client retries: some of its events may already be in Kafka, and downstream
 * deduplication on (source, id) counts them once.
 */
public final class KafkaUsagePublisher implements UsagePublisher {
    private static final Logger log = LoggerFactory.getLogger(KafkaUsagePublisher.class);

    private final Producer<String, UsageEvent> producer;
    private final String topic;
    private final InFlightBound inFlight;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(daemon("tollgate-ingest-sender"));
    private final ScheduledExecutorService probe = Executors.newSingleThreadScheduledExecutor(daemon("tollgate-ingest-producer-probe"));
    private volatile boolean connected;

    public KafkaUsagePublisher(Producer<String, UsageEvent> producer, String topic, long maxInFlightEvents, long maxInFlightBytes) {
        this.producer = producer;
        this.topic = topic;
        this.inFlight = new InFlightBound(maxInFlightEvents, maxInFlightBytes);
        probe.scheduleWithFixedDelay(this::probeConnection, 0, 1, TimeUnit.SECONDS);
    }

    /** Producer settings that make a 202 mean "acknowledged by all in-sync replicas, once". */
    public static Map<String, Object> producerConfig(String bootstrapServers, int deliveryTimeoutMs, int maxBlockMs, int lingerMs,
                                                     long maxInFlightBytes, Map<String, Object> overrides) {
        Map<String, Object> props = new HashMap<>(overrides);
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        props.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlockMs);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.max(1000, (deliveryTimeoutMs - lingerMs) / 2));
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryTimeoutMs);
        // Serialized events are smaller than the JSON bodies the in-flight bound counts, so send() never waits for buffer space.
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L * 1024 * 1024, maxInFlightBytes));
        props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "tollgate-ingest");
        return props;
    }

    public static KafkaUsagePublisher create(Map<String, Object> producerConfig, Serializer<UsageEvent> values, String topic,
                                             long maxInFlightEvents, long maxInFlightBytes) {
        return new KafkaUsagePublisher(new KafkaProducer<>(producerConfig, new StringSerializer(), values),
                topic, maxInFlightEvents, maxInFlightBytes);
    }

    @Override
    public CompletableFuture<Void> publish(List<UsageEvent> events, long bytes) {
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        if (!inFlight.tryAcquire(events.size(), bytes)) {
            return CompletableFuture.failedFuture(new PublishRejectedException(PublishRejectedException.Reason.SATURATED,
                    "ingest is saturated: too many events waiting for Kafka", null));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        done.whenComplete((ok, error) -> inFlight.release(events.size(), bytes));
        try {
            sender.execute(() -> sendAll(events, done));
        } catch (RejectedExecutionException e) {
            done.completeExceptionally(new PublishRejectedException(PublishRejectedException.Reason.UNAVAILABLE, "ingest is shutting down", e));
        }
        return done;
    }

    private void sendAll(List<UsageEvent> events, CompletableFuture<Void> done) {
        AtomicInteger pending = new AtomicInteger(events.size());
        AtomicReference<Exception> failure = new AtomicReference<>();
        for (int i = 0; i < events.size(); i++) {
            UsageEvent event = events.get(i);
            RecordHeaders headers = new RecordHeaders();
            headers.add(INGEST_TIME_HEADER, Long.toString(event.getIngestTime().toEpochMilli()).getBytes(StandardCharsets.UTF_8));
            ProducerRecord<String, UsageEvent> record = new ProducerRecord<>(topic, null,
                    event.getEventTime().toEpochMilli(), event.getConsumer(), event, headers);
            try {
                producer.send(record, (metadata, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                    if (pending.decrementAndGet() == 0) {
                        finish(done, failure.get());
                    }
                });
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
                // The events not sent will never call back: count them down here.
                if (pending.addAndGet(-(events.size() - i)) == 0) {
                    finish(done, failure.get());
                }
                return;
            }
        }
    }

    private static void finish(CompletableFuture<Void> done, Exception failure) {
        if (failure == null) {
            done.complete(null);
        } else {
            done.completeExceptionally(new PublishRejectedException(PublishRejectedException.Reason.UNAVAILABLE,
                    "Kafka did not acknowledge the events: " + failure.getMessage(), failure));
        }
    }

    private void probeConnection() {
        try {
            producer.partitionsFor(topic);
            connected = true;
            probe.shutdown();
        } catch (RuntimeException e) {
            log.info("waiting for Kafka: cannot read metadata of {}: {}", topic, e.getMessage());
        }
    }

    @Override
    public boolean connected() {
        return connected;
    }

    public long inFlightEvents() {
        return inFlight.events();
    }

    @Override
    public void close() {
        probe.shutdownNow();
        sender.shutdown();
        try {
            if (!sender.awaitTermination(5, TimeUnit.SECONDS)) {
                sender.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
