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
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * A {@link UsagePublisher} on an idempotent {@code acks=all} producer. {@code send()} can block (metadata,
 * the first schema registration), so sends run on one dedicated thread, never on the caller's. Memory is
 * bounded by {@link InFlightBound}. A request is answered within the acknowledgement timeout: a send that
 * fails, or events not acknowledged by then, fail the request with the positions of the events that were
 * acknowledged, so the client can resend the others (a resent event that did land is deduplicated downstream
 * on (source, id)).
 */
public final class KafkaUsagePublisher implements UsagePublisher {
    private static final Logger log = LoggerFactory.getLogger(KafkaUsagePublisher.class);

    private final Producer<String, UsageEvent> producer;
    private final String topic;
    private final InFlightBound inFlight;
    private final ExecutorService sender = Executors.newSingleThreadExecutor(daemon("tollgate-ingest-sender"));
    private final ScheduledExecutorService probe = Executors.newSingleThreadScheduledExecutor(daemon("tollgate-ingest-producer-probe"));
    private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, daemon("tollgate-ingest-ack-deadlines"));
    private final Duration ackTimeout;
    private volatile boolean connected;

    public KafkaUsagePublisher(Producer<String, UsageEvent> producer, String topic, long maxInFlightEvents, long maxInFlightBytes,
                               Duration ackTimeout) {
        this.producer = producer;
        this.topic = topic;
        this.inFlight = new InFlightBound(maxInFlightEvents, maxInFlightBytes);
        this.ackTimeout = ackTimeout;
        deadlines.setRemoveOnCancelPolicy(true);
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
                                             long maxInFlightEvents, long maxInFlightBytes, Duration ackTimeout) {
        return new KafkaUsagePublisher(new KafkaProducer<>(producerConfig, new StringSerializer(), values),
                topic, maxInFlightEvents, maxInFlightBytes, ackTimeout);
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
        Delivery delivery = new Delivery(events.size(), bytes);
        try {
            delivery.deadline = deadlines.schedule(delivery::expire, ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
            sender.execute(() -> sendAll(events, delivery));
        } catch (RejectedExecutionException e) {
            delivery.refuse(events.size(), new PublishRejectedException(PublishRejectedException.Reason.UNAVAILABLE, "ingest is shutting down", e));
        }
        return delivery.answer;
    }

    private void sendAll(List<UsageEvent> events, Delivery delivery) {
        for (int i = 0; i < events.size(); i++) {
            UsageEvent event = events.get(i);
            RecordHeaders headers = new RecordHeaders();
            headers.add(INGEST_TIME_HEADER, Long.toString(event.getIngestTime().toEpochMilli()).getBytes(StandardCharsets.UTF_8));
            ProducerRecord<String, UsageEvent> record = new ProducerRecord<>(topic, null,
                    event.getEventTime().toEpochMilli(), event.getConsumer(), event, headers);
            int position = i;
            try {
                producer.send(record, (metadata, error) -> delivery.settled(position, error));
            } catch (RuntimeException e) {
                // The events not sent will never call back: settle them here.
                delivery.refuse(events.size() - i, e);
                return;
            }
        }
    }

    /**
     * One request's events on their way to Kafka. The answer completes when every event is acknowledged, at the first
     * refusal, or at the acknowledgement timeout, whichever comes first, and then names what was acknowledged so far.
     * The in-flight bound is released only when the producer has settled every event (acknowledged or expired by
     * {@code delivery.timeout.ms}), so that a broker that stops answering fills the bound instead of memory.
     */
    private final class Delivery {
        final CompletableFuture<Void> answer = new CompletableFuture<>();
        private final BitSet acknowledged;
        private final int size;
        private final long bytes;
        private int unsettled;
        volatile ScheduledFuture<?> deadline;

        Delivery(int size, long bytes) {
            this.size = size;
            this.bytes = bytes;
            this.unsettled = size;
            this.acknowledged = new BitSet(size);
        }

        void settled(int position, Exception error) {
            boolean last;
            synchronized (this) {
                if (error == null) {
                    acknowledged.set(position);
                } else {
                    reject("Kafka refused an event: " + error.getMessage(), error);
                }
                last = --unsettled == 0;
                if (last) {
                    answer.complete(null); // a no-op when it was answered with a failure already
                }
            }
            if (last) {
                finished();
            }
        }

        void refuse(int notSent, Exception error) {
            boolean last;
            synchronized (this) {
                reject("Kafka did not take the events: " + error.getMessage(), error);
                unsettled -= notSent;
                last = unsettled == 0;
            }
            if (last) {
                finished();
            }
        }

        synchronized void expire() {
            reject("Kafka did not acknowledge every event within " + ackTimeout.toMillis() + " ms", null);
        }

        private void finished() {
            inFlight.release(size, bytes);
            ScheduledFuture<?> pending = deadline;
            if (pending != null) {
                pending.cancel(false);
            }
        }

        /** Under this object's lock, so that the answer and the acknowledged events it names agree. */
        private void reject(String message, Throwable cause) {
            if (!answer.isDone()) {
                answer.completeExceptionally(new PublishRejectedException(PublishRejectedException.Reason.UNAVAILABLE, message, cause,
                        acknowledged.stream().boxed().toList()));
            }
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
        deadlines.shutdownNow();
        sender.shutdown();
        try {
            if (!sender.awaitTermination(1, TimeUnit.SECONDS)) {
                sender.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // No 202 was given for an event still unacknowledged here: closing quickly breaks no promise.
        producer.close(Duration.ofSeconds(3));
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
