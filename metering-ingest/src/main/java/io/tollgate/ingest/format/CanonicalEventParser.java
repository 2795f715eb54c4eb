package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.UsageEvent;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Tollgate's own event (SPEC §5): {@code id} and {@code consumer} required, {@code time} RFC 3339
 * (default: receipt), {@code meters} non-negative integers (default {@code {"requests": 1}}),
 * {@code source} default {@value #DEFAULT_SOURCE}. Unknown fields are ignored. An element carrying
 * {@code specversion} is a CloudEvent sent as plain {@code application/json} (as OpenMeter accepts it, and as
 * Kong's metering plugin may send it) and is read by {@link CloudEventsParser}.
 */
public final class CanonicalEventParser implements EventParser {
    public static final String FORMAT = "canonical";
    public static final String DEFAULT_SOURCE = "canonical";
    private final CloudEventsParser cloudEvents = new CloudEventsParser();

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public String consumerField(JsonNode element) {
        return element.has("specversion") ? "subject" : "consumer";
    }

    @Override
    public void parse(int index, JsonNode element, Instant receivedAt, List<ParseResult> out) {
        if (!element.isObject()) {
            out.add(new ParseResult.Invalid(index, "event", FieldReader.NOT_AN_OBJECT));
            return;
        }
        if (element.has("specversion")) {
            cloudEvents.parse(index, element, receivedAt, out);
            return;
        }
        FieldReader f = new FieldReader(index);
        String id = f.requiredText(element.get("id"), "id");
        String consumer = f.requiredText(element.get("consumer"), "consumer");
        Instant time = f.rfc3339(element.get("time"), "time", receivedAt);
        String source = f.text(element.get("source"), "source");
        String api = f.text(element.get("api"), "api");
        String route = f.text(element.get("route"), "route");
        String method = f.text(element.get("method"), "method");
        String path = f.text(element.get("path"), "path");
        Integer status = f.status(element.get("status"), "status");
        Map<String, Long> meters = f.meters(element.get("meters"), "meters");
        String provider = f.text(element.get("llmProvider"), "llmProvider");
        String model = f.text(element.get("llmModel"), "llmModel");
        if (!f.ok()) {
            out.addAll(f.errors());
            return;
        }
        out.add(new ParseResult.Parsed(index, UsageEvent.newBuilder()
                .setId(id)
                .setSource(source == null ? DEFAULT_SOURCE : source)
                .setConsumer(consumer)
                .setGateway(FORMAT)
                .setApi(api)
                .setRoute(route)
                .setMethod(method == null ? null : method.toUpperCase(Locale.ROOT))
                .setPath(path)
                .setStatus(status)
                .setEventTime(time)
                .setIngestTime(receivedAt)
                .setMeters(meters == null ? Map.of(Meters.REQUESTS, 1L) : meters)
                .setLlmProvider(provider)
                .setLlmModel(model)
                .build()));
    }
}
