package io.tollgate.ingest.format;

/** The body (or raw record) is not JSON, or not the shape a format accepts at its top level. */
public final class MalformedBodyException extends Exception {
    public MalformedBodyException(String message) {
        super(message);
    }
}
