package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one input format into {@link io.tollgate.avro.UsageEvent}s. Pure: no I/O, no clock (the receipt
 * time is passed in), so the HTTP endpoint and the raw-topic processor give the same event for the
 * same bytes.
 */
public interface EventParser {
    /** The format name: the {@code gateway} field of the events, and the {@code format} metric label. */
    String format();

    /** Appends what element {@code index} became: one Parsed, one Skipped, or one Invalid per bad field. */
    void parse(int index, JsonNode element, Instant receivedAt, List<ParseResult> out);

    default List<ParseResult> parseAll(List<JsonNode> elements, Instant receivedAt) {
        List<ParseResult> out = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            parse(i, elements.get(i), receivedAt, out);
        }
        return out;
    }
}
