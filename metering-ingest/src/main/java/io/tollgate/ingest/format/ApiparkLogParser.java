package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.tollgate.avro.UsageEvent;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * APIPark / Apinto access-log records written by the JSON formatter of GATEWAYS.md part 2 §1.10 (Kafka output:
 * one object per message; HTTP output: one object per request). Apinto writes {@code ""} for a variable it does
 * not have, never {@code null}, so {@code ""} means absent everywhere here.
 *
 * <ul>
 * <li>Consumer: {@code application} (the APIPark consumer id); {@code ""} (authentication failed) is skipped
 *     ({@link SkipReason#NO_CONSUMER}).</li>
 * <li>A call that never reached the upstream ({@code proxy_status} present but {@code ""}: a 401/403/429 by the
 *     gateway) is skipped ({@link SkipReason#GATEWAY_RESPONSE}).</li>
 * <li>Id: {@code id} ({@code $request_id as id}, a UUID the gateway generates) or {@code request_id}, else a content hash.</li>
 * <li>Source: {@code apipark:<cluster>/<node>} from {@code cluster} and {@code node}, else {@value #FORMAT}.</li>
 * <li>Time: {@code msec} (epoch ms), else {@code time_iso8601}.</li>
 * <li>Meters: requests 1, bytes_in {@code request_length}, bytes_out {@code response_length} (a string; negative
 *     means unknown and is left out), tokens {@code ai_model_input_token} / {@code ai_model_output_token}.</li>
 * </ul>
 */
public final class ApiparkLogParser implements EventParser {
    public static final String FORMAT = "apipark";

    @Override
    public String format() {
        return FORMAT;
    }

    /** Apinto renders missing variables as "" (and "-" never occurs): treat both like absent. */
    static JsonNode present(JsonNode node) {
        if (node == null || (node.isTextual() && (node.textValue().isBlank()))) {
            return MissingNode.getInstance();
        }
        return node;
    }

    @Override
    public String consumerField(JsonNode element) {
        return "application";
    }

    @Override
    public void parse(int index, JsonNode element, Instant receivedAt, List<ParseResult> out) {
        if (!element.isObject()) {
            out.add(new ParseResult.Invalid(index, "record", FieldReader.NOT_AN_OBJECT));
            return;
        }
        String consumer = GatewayRecords.firstText(element.get("application"));
        if (consumer == null) {
            out.add(new ParseResult.Skipped(index, SkipReason.NO_CONSUMER));
            return;
        }
        JsonNode proxyStatus = element.get("proxy_status");
        if (proxyStatus != null && FieldReader.absent(present(proxyStatus))) {
            out.add(new ParseResult.Skipped(index, SkipReason.GATEWAY_RESPONSE));
            return;
        }
        String id = GatewayRecords.firstText(element.get("id"), element.get("request_id"));
        if (id == null) {
            id = ContentId.of(element);
        }
        String cluster = GatewayRecords.firstText(element.get("cluster"));
        String node = GatewayRecords.firstText(element.get("node"));
        String source = cluster == null && node == null ? FORMAT
                : FORMAT + ":" + (cluster == null ? "" : cluster) + "/" + (node == null ? "" : node);

        FieldReader f = new FieldReader(index);
        JsonNode msec = present(element.get("msec"));
        Instant time = FieldReader.absent(msec) && !FieldReader.absent(present(element.get("time_iso8601")))
                ? f.rfc3339(element.get("time_iso8601"), "time_iso8601", null)
                : f.epochMillis(msec, "msec");
        Integer status = f.status(present(element.get("status")), "status");
        Map<String, Long> meters = new LinkedHashMap<>();
        meters.put(Meters.REQUESTS, 1L);
        KongLogParser.putIfPresent(meters, Meters.BYTES_IN, f.meter(present(element.get("request_length")), "request_length"));
        JsonNode responseLength = present(element.get("response_length"));
        if (!FieldReader.absent(responseLength) && !isNegative(responseLength)) {
            KongLogParser.putIfPresent(meters, Meters.BYTES_OUT, f.meter(responseLength, "response_length"));
        }
        KongLogParser.putIfPresent(meters, Meters.INPUT_TOKENS, f.meter(present(element.get("ai_model_input_token")), "ai_model_input_token"));
        KongLogParser.putIfPresent(meters, Meters.OUTPUT_TOKENS, f.meter(present(element.get("ai_model_output_token")), "ai_model_output_token"));
        if (!f.ok()) {
            out.addAll(f.errors());
            return;
        }
        String method = GatewayRecords.firstText(element.get("request_method"));
        out.add(new ParseResult.Parsed(index, UsageEvent.newBuilder()
                .setId(id)
                .setSource(source)
                .setConsumer(consumer)
                .setGateway(FORMAT)
                .setApi(GatewayRecords.firstText(element.get("api")))
                .setRoute(null)
                .setMethod(method == null ? null : method.toUpperCase(Locale.ROOT))
                .setPath(GatewayRecords.pathOf(GatewayRecords.firstText(element.get("uri"))))
                .setStatus(status)
                .setEventTime(time)
                .setIngestTime(receivedAt)
                .setMeters(meters)
                .setLlmProvider(GatewayRecords.firstText(element.get("ai_provider")))
                .setLlmModel(GatewayRecords.firstText(element.get("ai_model")))
                .build()));
    }

    private static boolean isNegative(JsonNode node) {
        try {
            return LenientNumbers.integer(node) < 0;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
