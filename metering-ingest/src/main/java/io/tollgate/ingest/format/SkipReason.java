package io.tollgate.ingest.format;

/** Why a well-formed gateway record is not billed. A closed set: each is a metric label. */
public final class SkipReason {
    /** Kong {@code source: "kong"}: a deny, a 402 or a 429 the gateway produced without calling the upstream. */
    public static final String GATEWAY_RESPONSE = "gateway_response";
    /** No authenticated consumer: nobody to bill. */
    public static final String NO_CONSUMER = "no_consumer";

    private SkipReason() {
    }
}
