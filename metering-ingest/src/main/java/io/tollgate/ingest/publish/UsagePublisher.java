package io.tollgate.ingest.publish;

import io.tollgate.avro.UsageEvent;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Publishes normalized events to {@code usage.events}, keyed by consumer id, with the event time as the
 * record timestamp and the ingest time in header {@value #INGEST_TIME_HEADER}.
 */
public interface UsagePublisher extends AutoCloseable {
    String INGEST_TIME_HEADER = "tollgate-ingest-time";

    /**
     * Completes when Kafka has acknowledged every event ({@code acks=all}); fails with
     * {@link PublishRejectedException} when the in-flight bound is reached, or when Kafka refused an event or did not
     * acknowledge every one within the acknowledgement timeout; the exception then names the events that were
     * acknowledged. Never blocks the caller, and completes within the acknowledgement timeout either way.
     * {@code bytes} is what the events weigh against the in-flight byte bound.
     */
    CompletableFuture<Void> publish(List<UsageEvent> events, long bytes);

    /** True once the producer has reached the cluster and seen the topic. */
    boolean connected();

    @Override
    void close();
}
