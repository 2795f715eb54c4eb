package io.tollgate.ingest.http;

import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.publish.PublishRejectedException;
import io.tollgate.ingest.publish.UsagePublisher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Stands in for Kafka: acknowledges, refuses as a saturated or unreachable cluster would, or (PARTIAL) writes the
 * events at {@link #acknowledgedPositions} and fails the others, as a cluster that stops answering part-way does.
 */
final class FakePublisher implements UsagePublisher {
    enum Mode { ACKNOWLEDGE, SATURATED, UNAVAILABLE, PARTIAL }

    final List<UsageEvent> published = new ArrayList<>();
    volatile Mode mode = Mode.ACKNOWLEDGE;
    volatile List<Integer> acknowledgedPositions = List.of();

    @Override
    public synchronized CompletableFuture<Void> publish(List<UsageEvent> events, long bytes) {
        return switch (mode) {
            case ACKNOWLEDGE -> {
                published.addAll(events);
                yield CompletableFuture.supplyAsync(() -> null);
            }
            case SATURATED -> CompletableFuture.failedFuture(
                    new PublishRejectedException(PublishRejectedException.Reason.SATURATED, "saturated", null));
            case UNAVAILABLE -> CompletableFuture.supplyAsync(() -> {
                throw new PublishRejectedException(PublishRejectedException.Reason.UNAVAILABLE, "timed out", null);
            });
            case PARTIAL -> {
                List<Integer> written = acknowledgedPositions;
                written.forEach(position -> published.add(events.get(position)));
                yield CompletableFuture.supplyAsync(() -> {
                    throw new PublishRejectedException(PublishRejectedException.Reason.UNAVAILABLE, "timed out", null, written);
                });
            }
        };
    }

    synchronized List<UsageEvent> published() {
        return List.copyOf(published);
    }

    @Override
    public boolean connected() {
        return true;
    }

    @Override
    public void close() {
    }
}
