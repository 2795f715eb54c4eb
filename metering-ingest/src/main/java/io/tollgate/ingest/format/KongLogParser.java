package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.UsageEvent;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Kong's log serializer output ({@code kong.log.serialize()}: http-log, kafka-log, file-log...), one
 * request per element.
 *
 * <ul>
 * <li>Responses with {@code source: "kong"} were made by the gateway itself (a deny, a 402, a 429) and are skipped.</li>
 * <li>Consumer: {@code consumer.custom_id}, else {@code consumer.id}, else {@code consumer.username}, else
 *     {@code authenticated_entity.consumer_id}; with none the call is skipped ({@link SkipReason#NO_CONSUMER}).</li>
 * <li>Id: {@code request.id} (Kong 3.5+), else header {@code x-request-id} / {@code kong-request-id}, else
 *     {@code correlation_id}, else a {@link ContentId content hash}.</li>
 * <li>Source: top-level {@value GatewayRecords#SOURCE_FIELD} when the gateway adds one, else {@value #FORMAT}.
 *     Kong's record names no node (its {@code workspace} is a workspace, shared by every node).</li>
 * <li>Meters: requests 1, bytes_in {@code request.size}, bytes_out {@code response.size}, and tokens summed over
 *     every {@code ai.<namespace>.usage} ({@code prompt_tokens} else {@code input_tokens}; {@code completion_tokens}
 *     else {@code output_tokens}).</li>
 * </ul>
 */
public final class KongLogParser implements EventParser {
    public static final String FORMAT = "kong";

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public String consumerField(JsonNode element) {
        return GatewayRecords.firstTextField(element, "consumer", "consumer.custom_id", "consumer.id", "consumer.username",
                "authenticated_entity.consumer_id");
    }

    @Override
    public void parse(int index, JsonNode element, Instant receivedAt, List<ParseResult> out) {
        if (!element.isObject()) {
            out.add(new ParseResult.Invalid(index, "record", FieldReader.NOT_AN_OBJECT));
            return;
        }
        if ("kong".equals(GatewayRecords.firstText(element.get("source")))) {
            out.add(new ParseResult.Skipped(index, SkipReason.GATEWAY_RESPONSE));
            return;
        }
        JsonNode consumerEntity = element.path("consumer");
        String consumer = GatewayRecords.firstText(consumerEntity.get("custom_id"), consumerEntity.get("id"),
                consumerEntity.get("username"), element.path("authenticated_entity").get("consumer_id"));
        if (consumer == null) {
            out.add(new ParseResult.Skipped(index, SkipReason.NO_CONSUMER));
            return;
        }
        JsonNode request = element.path("request");
        JsonNode response = element.path("response");
        JsonNode headers = request.path("headers");
        String id = GatewayRecords.firstText(request.get("id"), headers.get("x-request-id"), headers.get("kong-request-id"),
                element.get("correlation_id"));
        if (id == null) {
            id = ContentId.of(element);
        }
        String source = GatewayRecords.firstText(element.get(GatewayRecords.SOURCE_FIELD));

        FieldReader f = new FieldReader(index);
        Instant time = f.epochMillis(element.get("started_at"), "started_at");
        Integer status = f.status(response.get("status"), "response.status");
        Map<String, Long> meters = new LinkedHashMap<>();
        meters.put(Meters.REQUESTS, 1L);
        putIfPresent(meters, Meters.BYTES_IN, f.meter(request.get("size"), "request.size"));
        putIfPresent(meters, Meters.BYTES_OUT, f.meter(response.get("size"), "response.size"));
        String provider = null;
        String model = null;
        JsonNode ai = element.path("ai");
        for (Iterator<Map.Entry<String, JsonNode>> it = ai.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> namespace = it.next();
            String at = "ai." + namespace.getKey();
            JsonNode usage = namespace.getValue().path("usage");
            if (usage.isObject()) {
                add(meters, Meters.INPUT_TOKENS, tokens(f, usage, at + ".usage", "prompt_tokens", "input_tokens"));
                add(meters, Meters.OUTPUT_TOKENS, tokens(f, usage, at + ".usage", "completion_tokens", "output_tokens"));
            }
            JsonNode meta = namespace.getValue().path("meta");
            if (meta.isObject() && (provider == null || namespace.getKey().equals("proxy"))) {
                provider = GatewayRecords.firstText(meta.get("provider_name"));
                model = GatewayRecords.firstText(meta.get("response_model"), meta.get("request_model"));
            }
        }
        if (!f.ok()) {
            out.addAll(f.errors());
            return;
        }
        String method = GatewayRecords.firstText(request.get("method"));
        out.add(new ParseResult.Parsed(index, UsageEvent.newBuilder()
                .setId(id)
                .setSource(source == null ? FORMAT : source)
                .setConsumer(consumer)
                .setGateway(FORMAT)
                .setApi(GatewayRecords.firstText(element.path("service").get("name"), element.path("service").get("id")))
                .setRoute(GatewayRecords.firstText(element.path("route").get("name"), element.path("route").get("id")))
                .setMethod(method == null ? null : method.toUpperCase(Locale.ROOT))
                .setPath(GatewayRecords.pathOf(GatewayRecords.firstText(request.get("uri"))))
                .setStatus(status)
                .setEventTime(time)
                .setIngestTime(receivedAt)
                .setMeters(meters)
                .setLlmProvider(provider)
                .setLlmModel(model)
                .build()));
    }

    private static Long tokens(FieldReader f, JsonNode usage, String at, String preferred, String alternative) {
        JsonNode value = usage.get(preferred);
        if (!FieldReader.absent(value)) {
            return f.meter(value, at + "." + preferred);
        }
        return f.meter(usage.get(alternative), at + "." + alternative);
    }

    static void putIfPresent(Map<String, Long> meters, String name, Long value) {
        if (value != null) {
            meters.put(name, value);
        }
    }

    static void add(Map<String, Long> meters, String name, Long value) {
        if (value != null) {
            meters.merge(name, value, Math::addExact);
        }
    }
}
