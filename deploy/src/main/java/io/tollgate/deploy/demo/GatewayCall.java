package io.tollgate.deploy.demo;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One API call as a gateway saw it, before it is written in any gateway's log format. The demo plays each call
 * through one path (Kong, APISIX, canonical JSON, CloudEvents; HTTP or raw topic) and remembers what it should cost.
 *
 * @param gatewayGenerated the gateway answered by itself (a rate-limit 429, an auth deny): logged, never billed
 */
public record GatewayCall(String id, String consumer, String api, String route, String method, String path, int status,
                   Instant startedAt, long requestBytes, long responseBytes, long inputTokens, long outputTokens,
                   String model, boolean gatewayGenerated) {

    public static final String REQUESTS = "requests";
    public static final String INPUT_TOKENS = "input_tokens";
    public static final String OUTPUT_TOKENS = "output_tokens";

    boolean isLlmCall() {
        return model != null;
    }

    /** The meters this call must add to its consumer's usage: none for a response the gateway made itself. */
    Map<String, Long> billedMeters() {
        Map<String, Long> meters = new LinkedHashMap<>();
        if (gatewayGenerated) {
            return meters;
        }
        meters.put(REQUESTS, 1L);
        if (inputTokens > 0) {
            meters.put(INPUT_TOKENS, inputTokens);
        }
        if (outputTokens > 0) {
            meters.put(OUTPUT_TOKENS, outputTokens);
        }
        return meters;
    }
}
