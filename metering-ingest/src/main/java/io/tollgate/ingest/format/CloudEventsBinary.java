package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

/**
 * CloudEvents binary content mode: the attributes travel as headers ({@code ce-id} over HTTP, {@code ce_id} on
 * Kafka) and the value is the data. This turns such a message into the structured form {@link CloudEventsParser}
 * reads; the data must be JSON.
 */
public final class CloudEventsBinary {
    public static final String HTTP_PREFIX = "ce-";
    public static final String KAFKA_PREFIX = "ce_";
    private static final ObjectMapper JSON = new ObjectMapper();

    private CloudEventsBinary() {
    }

    /** The structured event of attributes {@code headers} (names with {@code prefix}, any case) and data {@code value}. */
    public static JsonNode toStructured(Map<String, String> headers, String prefix, byte[] value) throws MalformedBodyException {
        ObjectNode event = JSON.createObjectNode();
        headers.forEach((name, attribute) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith(prefix) && lower.length() > prefix.length()) {
                event.put(lower.substring(prefix.length()), attribute);
            }
        });
        if (value != null && value.length > 0) {
            try {
                event.set("data", JSON.readTree(value));
            } catch (IOException e) {
                throw new MalformedBodyException("the data of a binary-mode CloudEvent must be JSON: " + e.getMessage());
            }
        }
        return event;
    }
}
