package io.tollgate.ingest.publish;

/** Events were not (all) acknowledged; the client should retry later. The reason is a metric label. */
public final class PublishRejectedException extends RuntimeException {
    public enum Reason {
        /** The in-flight bound of events or bytes is reached. */
        SATURATED("saturated"),
        /** Kafka did not acknowledge within the delivery timeout, or refused the send. */
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

    public PublishRejectedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
