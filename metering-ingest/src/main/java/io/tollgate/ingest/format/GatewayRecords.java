package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;

/** Small readers shared by the gateway-log parsers. */
final class GatewayRecords {
    /** Top-level field a gateway can add (Kong {@code custom_fields_by_lua}, APISIX {@code log_format_extra}) to name its node or cluster. */
    static final String SOURCE_FIELD = "tollgate_source";

    private GatewayRecords() {
    }

    /** The first non-blank string among {@code nodes}; a repeated header (a JSON array) gives its first value. */
    static String firstText(JsonNode... nodes) {
        for (JsonNode node : nodes) {
            JsonNode value = node != null && node.isArray() && !node.isEmpty() ? node.get(0) : node;
            if (value != null && (value.isTextual() || value.isNumber())) {
                String text = value.asText().trim();
                if (!text.isEmpty()) {
                    return text;
                }
            }
        }
        return null;
    }

    /**
     * The path of the first of {@code paths} (dotted: {@code consumer.custom_id}) whose value {@link #firstText} would
     * take, or {@code fallback}: the field a parser read its consumer from, for error messages.
     */
    static String firstTextField(JsonNode element, String fallback, String... paths) {
        for (String path : paths) {
            JsonNode node = element;
            for (String part : path.split("\\.")) {
                node = node == null ? null : node.get(part);
            }
            if (firstText(node) != null) {
                return path;
            }
        }
        return fallback;
    }

    /** The path of a request URI without its query string. */
    static String pathOf(String uri) {
        if (uri == null) {
            return null;
        }
        int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }
}
