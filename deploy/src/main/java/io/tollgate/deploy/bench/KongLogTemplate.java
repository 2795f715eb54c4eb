package io.tollgate.deploy.bench;

import io.tollgate.deploy.demo.GatewayCall;
import io.tollgate.deploy.demo.GatewayPayloads;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One consumer's Kong log entry ({@code kong.log.serialize()}, as http-log and kafka-log send it) rendered once, with
 * fixed-width slots for the request id and {@code started_at}: a new event is one copy and a few overwrites, so the
 * load generator spends its CPU on sending, not on writing JSON.
 */
final class KongLogTemplate {
    static final int ID_LENGTH = 32;
    private static final String ID_SLOT = "f".repeat(ID_LENGTH);
    private static final long TIME_SLOT = 1_111_111_111_111L;

    private final String consumer;
    private final long inputTokens;
    private final long outputTokens;
    private final byte[] bytes;
    private final int[] idOffsets;
    private final int timeOffset;

    private KongLogTemplate(String consumer, long inputTokens, long outputTokens, byte[] bytes) {
        this.consumer = consumer;
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
        this.bytes = bytes;
        this.idOffsets = offsetsOf(bytes, '"' + ID_SLOT + '"', 1);
        int[] times = offsetsOf(bytes, "\"started_at\":" + TIME_SLOT, "\"started_at\":".length());
        if (idOffsets.length == 0 || times.length != 1) {
            throw new IllegalStateException("the Kong log has no request id or no single started_at to fill in");
        }
        this.timeOffset = times[0];
    }

    /** A proxied call of {@code consumer}; an LLM call (ai-proxy usage) when it has tokens. */
    static KongLogTemplate of(GatewayPayloads payloads, String consumer, long inputTokens, long outputTokens) {
        boolean llm = inputTokens > 0 || outputTokens > 0;
        GatewayCall call = new GatewayCall(ID_SLOT, consumer, llm ? "chat" : "orders", llm ? "chat-completions" : "orders-api",
                "POST", llm ? "/v1/chat/completions" : "/v1/orders", 200, Instant.ofEpochMilli(TIME_SLOT),
                llm ? 2_400 : 512, llm ? 1_800 : 1_024, inputTokens, outputTokens, llm ? "gpt-4o" : null, false);
        return new KongLogTemplate(consumer, inputTokens, outputTokens, payloads.bytes(payloads.kong(call)));
    }

    String consumer() {
        return consumer;
    }

    long inputTokens() {
        return inputTokens;
    }

    long outputTokens() {
        return outputTokens;
    }

    int length() {
        return bytes.length;
    }

    /** The entry with {@code id} (exactly {@link #ID_LENGTH} characters of [0-9a-f]) and {@code startedAtMillis}. */
    byte[] render(String id, long startedAtMillis) {
        byte[] out = new byte[bytes.length];
        renderInto(out, 0, id, startedAtMillis);
        return out;
    }

    /** Writes the entry into {@code target} at {@code at}; {@link #length()} bytes. */
    void renderInto(byte[] target, int at, String id, long startedAtMillis) {
        if (id.length() != ID_LENGTH) {
            throw new IllegalArgumentException("a request id has " + ID_LENGTH + " characters: " + id);
        }
        if (startedAtMillis < 1_000_000_000_000L || startedAtMillis > 9_999_999_999_999L) {
            throw new IllegalArgumentException("started_at must have 13 digits: " + startedAtMillis);
        }
        System.arraycopy(bytes, 0, target, at, bytes.length);
        byte[] idBytes = id.getBytes(StandardCharsets.US_ASCII);
        for (int offset : idOffsets) {
            System.arraycopy(idBytes, 0, target, at + offset, ID_LENGTH);
        }
        long time = startedAtMillis;
        for (int i = 12; i >= 0; i--) {
            target[at + timeOffset + i] = (byte) ('0' + time % 10);
            time /= 10;
        }
    }

    private static int[] offsetsOf(byte[] haystack, String needle, int skip) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        List<Integer> found = new ArrayList<>();
        outer:
        for (int i = 0; i <= haystack.length - n.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            found.add(i + skip);
        }
        return found.stream().mapToInt(Integer::intValue).toArray();
    }
}
