package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.schemas.ConsumerIds;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns one input format into {@link io.tollgate.avro.UsageEvent}s. Pure: no I/O, no clock (the receipt
 * time is passed in), so the HTTP endpoint and the raw-topic processor give the same event for the
 * same bytes.
 */
public interface EventParser {
    /**
     * How far ahead of its receipt an event may be dated. Kafka brokers refuse records timestamped more than
     * {@code log.message.timestamp.after.max.ms} (1 h by default) ahead; refusing earlier, as an invalid field,
     * turns what would be an endless retry (HTTP) or a stopped normalizer (raw topics) into a clear 400 or dead letter.
     */
    Duration MAX_FUTURE_SKEW = Duration.ofMinutes(5);

    /** The format name: the {@code gateway} field of the events, and the {@code format} metric label. */
    String format();

    /** Appends what element {@code index} became: one Parsed, one Skipped, or one Invalid per bad field. */
    void parse(int index, JsonNode element, Instant receivedAt, List<ParseResult> out);

    default List<ParseResult> parseAll(List<JsonNode> elements, Instant receivedAt) {
        List<ParseResult> out = new ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            parseChecked(i, elements.get(i), receivedAt, out);
        }
        return out;
    }

    /** The field {@code element}'s consumer was read from, named in the error when it is not a valid consumer id. */
    default String consumerField(JsonNode element) {
        return "consumer";
    }

    /**
     * {@link #parse}, then refuses an event whose consumer is not a valid consumer id ({@link ConsumerIds}: the same
     * alphabet as accounts and decisions) and one dated more than {@link #MAX_FUTURE_SKEW} after {@code receivedAt}.
     * Every format goes through here, over HTTP and on the raw topics alike.
     */
    default void parseChecked(int index, JsonNode element, Instant receivedAt, List<ParseResult> out) {
        int first = out.size();
        parse(index, element, receivedAt, out);
        Instant latest = receivedAt.plus(MAX_FUTURE_SKEW);
        for (int i = first; i < out.size(); i++) {
            if (!(out.get(i) instanceof ParseResult.Parsed parsed)) {
                continue;
            }
            String consumerProblem = ConsumerIds.problem(parsed.event().getConsumer());
            if (consumerProblem != null) {
                out.set(i, new ParseResult.Invalid(index, consumerField(element), consumerProblem));
            } else if (parsed.event().getEventTime().isAfter(latest)) {
                out.set(i, new ParseResult.Invalid(index, "time", "more than " + MAX_FUTURE_SKEW.toMinutes()
                        + " minutes after its receipt (" + parsed.event().getEventTime() + ")"));
            }
        }
    }
}
