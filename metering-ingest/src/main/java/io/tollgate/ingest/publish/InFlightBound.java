package io.tollgate.ingest.publish;

/** Events and bytes handed to the producer and not yet acknowledged, bounded so memory is too. */
final class InFlightBound {
    private final long maxEvents;
    private final long maxBytes;
    private long events;
    private long bytes;

    InFlightBound(long maxEvents, long maxBytes) {
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
    }

    /** Takes room for a request, or refuses it whole. A request larger than the bound fits only into an empty one. */
    synchronized boolean tryAcquire(long requestEvents, long requestBytes) {
        boolean empty = events == 0 && bytes == 0;
        if (!empty && (events + requestEvents > maxEvents || bytes + requestBytes > maxBytes)) {
            return false;
        }
        events += requestEvents;
        bytes += requestBytes;
        return true;
    }

    synchronized void release(long requestEvents, long requestBytes) {
        events -= requestEvents;
        bytes -= requestBytes;
    }

    synchronized long events() {
        return events;
    }
}
