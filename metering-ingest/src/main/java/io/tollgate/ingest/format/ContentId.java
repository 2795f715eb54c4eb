package io.tollgate.ingest.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The id of a gateway record that carries no request id: {@code sha256:} and the hex SHA-256 of the
 * record's canonical JSON (object keys sorted, no whitespace). A re-delivery of the same record, in
 * another batch or through another path, gets the same id, so deduplication on (source, id) still works.
 * Two different calls whose records are byte-for-byte identical (same start millisecond, client, sizes,
 * latencies) would collide; enable the gateway's request-id plugin to rule that out.
 */
public final class ContentId {
    public static final String PREFIX = "sha256:";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ContentId() {
    }

    public static String of(JsonNode record) {
        try {
            byte[] canonical = JSON.writeValueAsBytes(sorted(record));
            return PREFIX + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            ObjectNode copy = JSON.createObjectNode();
            for (String name : names) {
                copy.set(name, sorted(node.get(name)));
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JSON.createArrayNode();
            node.forEach(item -> copy.add(sorted(item)));
            return copy;
        }
        return node;
    }
}
