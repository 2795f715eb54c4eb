package io.tollgate.ingest.publish;

import java.util.List;

/**
 * Events were not (all) acknowledged; the client should retry later. The reason is a metric label. {@link #acknowledged()}
 * names, by their position in the published list, the events Kafka did acknowledge before the request was answered:
 * those are written, the others may or may not be.
 */
public final class PublishRejectedException extends RuntimeException {
    public enum Reason {
        /** The in-flight bound of events or bytes is reached. */
        SATURATED("saturated"),
        /** Kafka did not acknowledge within the acknowledgement timeout, or refused the send. */
        UNAVAILABLE("unavailable");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Reason reason;
    private final List<Integer> acknowledged;

    public PublishRejectedException(Reason reason, String message, Throwable cause) {
        this(reason, message, cause, List.of());
    }

    public PublishRejectedException(Reason reason, String message, Throwable cause, List<Integer> acknowledged) {
        super(message, cause);
        this.reason = reason;
        this.acknowledged = List.copyOf(acknowledged);
    }

    public Reason reason() {
        return reason;
    }

    /** Positions (in the published list, ascending) of the events Kafka acknowledged; empty when none was. */
    public List<Integer> acknowledged() {
        return acknowledged;
    }
}
