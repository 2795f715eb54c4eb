package io.tollgate.deploy.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes calls the way real gateways log them (GATEWAYS.md): Kong's {@code kong.log.serialize()} object, APISIX's
 * default "full" log entry, Tollgate's canonical event and CloudEvents 1.0. The shapes carry the noise real logs
 * carry (headers, latencies, tries, entity ids) so ingest is exercised on what it will meet, not on a minimal stub.
 */
public final class GatewayPayloads {
    /** Canonical events and CloudEvents of the demo come from this gateway cluster. */
    static final String EDGE_SOURCE = "gw-eu-1";
    static final String CLOUDEVENT_TYPE = "io.tollgate.api.call";

    private static final String WORKSPACE_ID = "f381e34e-5c6f-4b8a-9d3e-0c1a2b3c4d5e";
    private final ObjectMapper json;

    public GatewayPayloads(ObjectMapper json) {
        this.json = json;
    }

    /** How APISIX carries the request id: the request-id plugin's header, or a {@code request_id} log field. */
    enum ApisixRequestId { HEADER, LOG_FIELD }

    public ObjectNode kong(GatewayCall call) {
        String consumerId = uuidOf("consumer:" + call.consumer());
        String serviceId = uuidOf("service:" + call.api());
        ObjectNode log = json.createObjectNode();

        ObjectNode request = log.putObject("request");
        request.put("id", call.id());
        request.put("method", call.method());
        request.put("uri", call.path());
        request.put("url", "https://api.example.com:443" + call.path());
        request.put("size", call.requestBytes());
        request.putObject("querystring");
        ObjectNode requestHeaders = request.putObject("headers");
        requestHeaders.put("host", "api.example.com");
        requestHeaders.put("user-agent", call.isLlmCall() ? "OpenAI/Python 1.54.4" : "okhttp/4.12.0");
        requestHeaders.put("authorization", "REDACTED");
        requestHeaders.put("content-type", "application/json");

        ObjectNode response = log.putObject("response");
        response.put("status", call.status());
        response.put("size", call.responseBytes());
        ObjectNode responseHeaders = response.putObject("headers");
        responseHeaders.put("x-kong-request-id", call.id());
        responseHeaders.put("content-type", call.gatewayGenerated() ? "application/json; charset=utf-8" : "application/json");

        ObjectNode route = log.putObject("route");
        route.put("id", uuidOf("route:" + call.route()));
        route.put("name", call.route());
        route.putArray("paths").add("/" + call.api());
        route.putObject("service").put("id", serviceId);
        route.put("ws_id", WORKSPACE_ID);

        ObjectNode service = log.putObject("service");
        service.put("id", serviceId);
        service.put("name", call.api());
        service.put("host", call.api() + ".internal");
        service.put("port", 8080);
        service.put("protocol", "http");
        service.put("ws_id", WORKSPACE_ID);

        ObjectNode consumer = log.putObject("consumer");
        consumer.put("id", consumerId);
        consumer.put("username", call.consumer() + "-svc");
        consumer.put("custom_id", call.consumer());
        consumer.put("created_at", 1_761_955_200L);
        consumer.putArray("tags");
        ObjectNode entity = log.putObject("authenticated_entity");
        entity.put("id", uuidOf("credential:" + call.consumer()));
        entity.put("consumer_id", consumerId);

        int upstreamMillis = call.isLlmCall() ? 900 + (int) (call.outputTokens() % 700) : 20 + (int) (call.responseBytes() % 60);
        ObjectNode latencies = log.putObject("latencies");
        latencies.put("kong", 1);
        latencies.put("proxy", call.gatewayGenerated() ? -1 : upstreamMillis);
        latencies.put("request", call.gatewayGenerated() ? 1 : upstreamMillis + 2);
        latencies.put("receive", 0);
        if (!call.gatewayGenerated()) {
            log.put("upstream_uri", call.path());
            log.put("upstream_status", String.valueOf(call.status()));
            ObjectNode attempt = log.putArray("tries").addObject();
            attempt.put("ip", "10.0.4.21");
            attempt.put("port", 8080);
            attempt.put("balancer_latency", 0);
            attempt.put("balancer_start", call.startedAt().toEpochMilli() + 1);
        }
        log.put("source", call.gatewayGenerated() ? "kong" : "upstream");
        log.put("started_at", call.startedAt().toEpochMilli());
        log.put("client_ip", "203.0.113." + (Math.abs(call.consumer().hashCode()) % 250 + 1));
        log.put("workspace", WORKSPACE_ID);
        log.put("workspace_name", "default");

        if (call.isLlmCall()) {
            ObjectNode proxy = log.putObject("ai").putObject("proxy");
            ObjectNode meta = proxy.putObject("meta");
            meta.put("plugin_id", uuidOf("plugin:ai-proxy"));
            meta.put("provider_name", "openai");
            meta.put("request_model", call.model());
            meta.put("response_model", call.model() + "-2024-08-06");
            meta.put("llm_latency", upstreamMillis);
            ObjectNode usage = proxy.putObject("usage");
            usage.put("prompt_tokens", call.inputTokens());
            usage.put("completion_tokens", call.outputTokens());
            usage.put("total_tokens", call.inputTokens() + call.outputTokens());
            usage.put("time_per_token", 1);
            usage.put("cost", 0);
        }
        return log;
    }

    ObjectNode apisix(GatewayCall call, ApisixRequestId requestId) {
        ObjectNode log = json.createObjectNode();
        ObjectNode request = log.putObject("request");
        request.put("url", "https://api.example.com:443" + call.path());
        request.put("uri", call.path());
        request.put("method", call.method());
        request.put("size", call.requestBytes());
        request.putObject("querystring");
        ObjectNode headers = request.putObject("headers");
        headers.put("host", "api.example.com");
        headers.put("user-agent", call.isLlmCall() ? "OpenAI/NodeJS 4.73.0" : "Go-http-client/2.0");
        headers.put("apikey", "******");
        if (requestId == ApisixRequestId.HEADER) {
            headers.put("x-request-id", call.id());
        }

        ObjectNode response = log.putObject("response");
        response.put("status", call.status());
        response.put("size", call.responseBytes());
        response.putObject("headers").put("content-type", "application/json").put("server", "APISIX/3.14.0");

        log.putObject("server").put("hostname", "apisix-7d9f6c-x2k4q").put("version", "3.14.0");
        log.put("upstream", "10.0.7.33:8080");
        log.put("service_id", call.api());
        log.put("route_id", call.route());
        log.putObject("consumer").put("username", call.consumer());
        log.put("client_ip", "198.51.100." + (Math.abs(call.consumer().hashCode()) % 250 + 1));
        // ngx.req.start_time() * 1000 is fractional: APISIX logs it as such.
        log.put("start_time", call.startedAt().toEpochMilli() + 0.25);
        double upstreamMillis = call.isLlmCall() ? 850 + call.outputTokens() % 500 : 12 + call.responseBytes() % 40;
        log.put("upstream_latency", upstreamMillis);
        log.put("apisix_latency", 1.5);
        log.put("latency", upstreamMillis + 1.5);
        if (requestId == ApisixRequestId.LOG_FIELD) {
            log.put("request_id", call.id());
        }
        if (call.isLlmCall()) {
            ObjectNode summary = log.putObject("llm_summary");
            summary.put("request_model", call.model());
            summary.put("model", call.model() + "-2024-08-06");
            summary.put("duration", 310);
            // The $llm_* variables are strings when they come from a log_format: ingest must read both.
            if (requestId == ApisixRequestId.LOG_FIELD) {
                summary.put("prompt_tokens", String.valueOf(call.inputTokens()));
                summary.put("completion_tokens", String.valueOf(call.outputTokens()));
            } else {
                summary.put("prompt_tokens", call.inputTokens());
                summary.put("completion_tokens", call.outputTokens());
            }
            summary.put("upstream_response_time", (long) upstreamMillis);
        }
        return log;
    }

    /** APIPark / Apinto access log with the formatter of GATEWAYS.md part 2 §1.10 (flat, Apinto never writes null). */
    ObjectNode apipark(GatewayCall call) {
        ObjectNode log = json.createObjectNode();
        log.put("id", call.id());
        log.put("msec", call.startedAt().toEpochMilli());
        log.put("time_iso8601", call.startedAt().toString());
        log.put("cluster", "apipark-cluster");
        log.put("node", "node-1");
        log.put("application", call.consumer());
        log.put("authorization", uuidOf("authorization:" + call.consumer()));
        log.put("provider", uuidOf("provider:" + call.api()));
        log.put("api", call.api());
        log.put("service", uuidOf("service:" + call.api()));
        log.put("request_method", call.method());
        log.put("uri", call.path());
        log.put("status", call.status());
        log.put("proxy_status", call.gatewayGenerated() ? "" : String.valueOf(call.status()));
        log.put("request_length", call.requestBytes());
        log.put("response_length", String.valueOf(call.responseBytes()));
        log.put("request_time", 40 + call.responseBytes() % 900);
        log.put("block_name", "");
        log.put("ai_provider", call.isLlmCall() ? "openai" : "");
        log.put("ai_model", call.isLlmCall() ? call.model() : "");
        if (call.isLlmCall()) {
            log.put("ai_model_input_token", call.inputTokens());
            log.put("ai_model_output_token", call.outputTokens());
            log.put("ai_model_total_token", call.inputTokens() + call.outputTokens());
        } else {
            log.put("ai_model_input_token", "");
            log.put("ai_model_output_token", "");
            log.put("ai_model_total_token", "");
        }
        return log;
    }

    /** AWS API Gateway (REST) access-log line of GATEWAYS.md part 2 §2.2: every value a quoted template substitution. */
    ObjectNode awsAccessLog(GatewayCall call) {
        ObjectNode log = json.createObjectNode();
        log.put("requestId", uuidOf("aws-request:" + call.id()));
        log.put("extendedRequestId", call.id());
        log.put("accountId", "123456789012");
        log.put("apiId", call.api());
        log.put("stage", "prod");
        log.put("domainName", "api.example.com");
        log.put("resourcePath", call.route());
        log.put("path", call.path());
        log.put("httpMethod", call.method());
        log.put("status", String.valueOf(call.status()));
        log.put("requestTimeEpoch", String.valueOf(call.startedAt().toEpochMilli()));
        log.put("apiKeyId", "k-" + call.consumer());
        log.put("principalId", call.consumer());
        log.put("consumerId", call.consumer());
        log.put("plan", DemoPlan.ID);
        log.put("responseLength", String.valueOf(call.responseBytes()));
        log.put("responseLatency", "173");
        log.put("integrationLatency", "171");
        log.put("integrationStatus", call.gatewayGenerated() ? "" : String.valueOf(call.status()));
        log.put("authorizerStatus", "200");
        log.put("errorType", call.gatewayGenerated() ? "THROTTLED" : "-");
        log.put("sourceIp", "203.0.113.7");
        return log;
    }

    /** An Amazon Data Firehose HTTP-endpoint delivery: each record's {@code data} is base64 of one access-log line. */
    ObjectNode firehoseDelivery(String requestId, long timestamp, List<byte[]> lines) {
        ObjectNode delivery = json.createObjectNode();
        delivery.put("requestId", requestId);
        delivery.put("timestamp", timestamp);
        ArrayNode records = delivery.putArray("records");
        for (byte[] line : lines) {
            records.addObject().put("data", java.util.Base64.getEncoder().encodeToString(line));
        }
        return delivery;
    }

    public ObjectNode canonical(GatewayCall call) {
        ObjectNode event = json.createObjectNode();
        event.put("id", call.id());
        event.put("consumer", call.consumer());
        event.put("time", call.startedAt().toString());
        event.put("source", EDGE_SOURCE);
        putCallFields(event, call);
        return event;
    }

    public ObjectNode cloudEvent(GatewayCall call) {
        ObjectNode event = json.createObjectNode();
        event.put("specversion", "1.0");
        event.put("id", call.id());
        event.put("source", EDGE_SOURCE);
        event.put("type", CLOUDEVENT_TYPE);
        event.put("subject", call.consumer());
        event.put("time", call.startedAt().toString());
        event.put("datacontenttype", "application/json");
        putCallFields(event.putObject("data"), call);
        return event;
    }

    private void putCallFields(ObjectNode target, GatewayCall call) {
        target.put("api", call.api());
        target.put("method", call.method());
        target.put("path", call.path());
        target.put("status", call.status());
        ObjectNode meters = target.putObject("meters");
        for (Map.Entry<String, Long> meter : call.billedMeters().entrySet()) {
            meters.put(meter.getKey(), meter.getValue());
        }
    }

    ArrayNode array(List<ObjectNode> entries) {
        ArrayNode array = json.createArrayNode();
        entries.forEach(array::add);
        return array;
    }

    public byte[] bytes(Object node) {
        try {
            return json.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** APISIX http-logger with {@code concat_method: new_line}: one JSON object per line. */
    byte[] newlineDelimited(List<ObjectNode> entries) {
        StringBuilder body = new StringBuilder();
        for (ObjectNode entry : entries) {
            body.append(new String(bytes(entry), StandardCharsets.UTF_8)).append('\n');
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String uuidOf(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
