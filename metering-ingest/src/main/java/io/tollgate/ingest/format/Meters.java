package io.tollgate.ingest.format;

/** Names of the meters Tollgate derives from gateway records. */
public final class Meters {
    public static final String REQUESTS = "requests";
    public static final String BYTES_IN = "bytes_in";
    public static final String BYTES_OUT = "bytes_out";
    public static final String INPUT_TOKENS = "input_tokens";
    public static final String OUTPUT_TOKENS = "output_tokens";

    private Meters() {
    }
}
