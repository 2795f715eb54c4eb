package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.avro.UsageEvent;

import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CloudEvents 1.0 in structured JSON mode. {@code specversion}, {@code id}, {@code source} and
 * {@code type} are required by CloudEvents; {@code subject} is the consumer and is required here.
 * {@code data} (or JSON in {@code data_base64}) carries the canonical fields: {@code api}, {@code route},
 * {@code method}, {@code path}, {@code status}, {@code meters}, {@code llmProvider}, {@code llmModel};
 * the well-known meters may also sit directly in {@code data} as numbers or numeric strings
 * ({@code "requests": "1"}, as GATEWAYS.md §7.3 recommends). {@code data.meters} wins over those.
 */
public final class CloudEventsParser implements EventParser {
    public static final String FORMAT = "cloudevents";
    private static final List<String> FLAT_METERS =
            List.of(Meters.REQUESTS, Meters.BYTES_IN, Meters.BYTES_OUT, Meters.INPUT_TOKENS, Meters.OUTPUT_TOKENS);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public String consumerField(JsonNode element) {
        return "subject";
    }

    @Override
    public void parse(int index, JsonNode element, Instant receivedAt, List<ParseResult> out) {
        if (!element.isObject()) {
            out.add(new ParseResult.Invalid(index, "event", FieldReader.NOT_AN_OBJECT));
            return;
        }
        FieldReader f = new FieldReader(index);
        String specVersion = f.requiredText(element.get("specversion"), "specversion");
        if (specVersion != null && !specVersion.equals("1.0")) {
            f.invalid("specversion", "must be 1.0");
        }
        String id = f.requiredText(element.get("id"), "id");
        String source = f.requiredText(element.get("source"), "source");
        f.requiredText(element.get("type"), "type");
        String consumer = f.requiredText(element.get("subject"), "subject");
        Instant time = f.rfc3339(element.get("time"), "time", receivedAt);
        JsonNode data = data(element, f);

        String api = f.text(data.get("api"), "data.api");
        String route = f.text(data.get("route"), "data.route");
        String method = f.text(data.get("method"), "data.method");
        String path = f.text(data.get("path"), "data.path");
        Integer status = f.status(data.get("status"), "data.status");
        String provider = f.text(data.get("llmProvider"), "data.llmProvider");
        String model = f.text(data.get("llmModel"), "data.llmModel");
        Map<String, Long> meters = new LinkedHashMap<>();
        for (String name : FLAT_METERS) {
            Long value = f.meter(data.get(name), "data." + name);
            if (value != null) {
                meters.put(name, value);
            }
        }
        Map<String, Long> declared = f.meters(data.get("meters"), "data.meters");
        if (declared != null) {
            meters.putAll(declared);
        }
        if (!f.ok()) {
            out.addAll(f.errors());
            return;
        }
        if (meters.isEmpty()) {
            meters.put(Meters.REQUESTS, 1L);
        }
        out.add(new ParseResult.Parsed(index, UsageEvent.newBuilder()
                .setId(id)
                .setSource(source)
                .setConsumer(consumer)
                .setGateway(FORMAT)
                .setApi(api)
                .setRoute(route)
                .setMethod(method == null ? null : method.toUpperCase(Locale.ROOT))
                .setPath(path)
                .setStatus(status)
                .setEventTime(time)
                .setIngestTime(receivedAt)
                .setMeters(meters)
                .setLlmProvider(provider)
                .setLlmModel(model)
                .build()));
    }

    private static JsonNode data(JsonNode event, FieldReader f) {
        JsonNode data = event.get("data");
        JsonNode base64 = event.get("data_base64");
        if (!FieldReader.absent(data) && !FieldReader.absent(base64)) {
            f.invalid("data_base64", "data and data_base64 are mutually exclusive");
            return JSON.missingNode();
        }
        if (!FieldReader.absent(base64)) {
            if (!base64.isTextual()) {
                f.invalid("data_base64", FieldReader.NOT_A_STRING);
                return JSON.missingNode();
            }
            try {
                data = JSON.readTree(Base64.getDecoder().decode(base64.textValue()));
            } catch (IllegalArgumentException | IOException e) {
                f.invalid("data_base64", "must be base64 of a JSON object");
                return JSON.missingNode();
            }
        }
        if (FieldReader.absent(data)) {
            return JSON.missingNode();
        }
        if (!data.isObject()) {
            f.invalid(FieldReader.absent(base64) ? "data" : "data_base64", FieldReader.NOT_AN_OBJECT);
            return JSON.missingNode();
        }
        return data;
    }
}
