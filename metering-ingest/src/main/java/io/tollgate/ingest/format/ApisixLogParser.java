package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.UsageEvent;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * APISIX's default ("full") log entry (http-logger, kafka-logger), one request per element.
 *
 * <ul>
 * <li>Consumer: {@code consumer.username}, else a {@code consumer_name} field (custom {@code log_format});
 *     with none the call is skipped ({@link SkipReason#NO_CONSUMER}).</li>
 * <li>Id: header {@code x-request-id} in {@code request.headers} (request-id plugin), else a {@code request_id}
 *     field ({@code log_format_extra}), else a {@link ContentId content hash}.</li>
 * <li>Source: top-level {@value GatewayRecords#SOURCE_FIELD} when present, else {@code server.hostname}, else
 *     {@value #FORMAT}.</li>
 * <li>api: {@code service_name} else {@code service_id} (blank means none); route: {@code route_name} else {@code route_id}.</li>
 * <li>Meters: requests 1, bytes_in {@code request.size}, bytes_out {@code response.size}, input/output tokens
 *     from {@code llm_summary.prompt_tokens}/{@code completion_tokens}.</li>
 * </ul>
 * APISIX marks no response as gateway-generated, so none is skipped for that reason.
 */
public final class ApisixLogParser implements EventParser {
    public static final String FORMAT = "apisix";

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public String consumerField(JsonNode element) {
        return GatewayRecords.firstTextField(element, "consumer.username", "consumer.username", "consumer_name");
    }

    @Override
    public void parse(int index, JsonNode element, Instant receivedAt, List<ParseResult> out) {
        if (!element.isObject()) {
            out.add(new ParseResult.Invalid(index, "record", FieldReader.NOT_AN_OBJECT));
            return;
        }
        String consumer = GatewayRecords.firstText(element.path("consumer").get("username"), element.get("consumer_name"));
        if (consumer == null) {
            out.add(new ParseResult.Skipped(index, SkipReason.NO_CONSUMER));
            return;
        }
        JsonNode request = element.path("request");
        JsonNode response = element.path("response");
        String id = GatewayRecords.firstText(request.path("headers").get("x-request-id"), element.get("request_id"));
        if (id == null) {
            id = ContentId.of(element);
        }
        String source = GatewayRecords.firstText(element.get(GatewayRecords.SOURCE_FIELD), element.path("server").get("hostname"));

        FieldReader f = new FieldReader(index);
        Instant time = f.epochMillis(element.get("start_time"), "start_time");
        Integer status = f.status(response.get("status"), "response.status");
        Map<String, Long> meters = new LinkedHashMap<>();
        meters.put(Meters.REQUESTS, 1L);
        KongLogParser.putIfPresent(meters, Meters.BYTES_IN, f.meter(request.get("size"), "request.size"));
        KongLogParser.putIfPresent(meters, Meters.BYTES_OUT, f.meter(response.get("size"), "response.size"));
        JsonNode llm = element.path("llm_summary");
        KongLogParser.putIfPresent(meters, Meters.INPUT_TOKENS, f.meter(llm.get("prompt_tokens"), "llm_summary.prompt_tokens"));
        KongLogParser.putIfPresent(meters, Meters.OUTPUT_TOKENS, f.meter(llm.get("completion_tokens"), "llm_summary.completion_tokens"));
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
                .setApi(GatewayRecords.firstText(element.get("service_name"), element.get("service_id")))
                .setRoute(GatewayRecords.firstText(element.get("route_name"), element.get("route_id")))
                .setMethod(method == null ? null : method.toUpperCase(Locale.ROOT))
                .setPath(GatewayRecords.pathOf(GatewayRecords.firstText(request.get("uri"))))
                .setStatus(status)
                .setEventTime(time)
                .setIngestTime(receivedAt)
                .setMeters(meters)
                .setLlmProvider(null)
                .setLlmModel(GatewayRecords.firstText(llm.get("model"), llm.get("request_model")))
                .build()));
    }
}
