package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GatewayPayloadsTest {
    private static final Instant T = Instant.parse("2026-11-21T10:00:00.123Z");
    private final ObjectMapper json = new ObjectMapper();
    private final GatewayPayloads payloads = new GatewayPayloads(json);

    private static final GatewayCall LLM = new GatewayCall("2f6946328ffc4946b8c9120704a4a155", "umbrella", "chat",
            "chat-completions", "POST", "/v1/chat/completions", 200, T, 4_600, 2_300, 1_000, 500, "gpt-4o", false);
    private static final GatewayCall RATE_LIMITED = new GatewayCall("0a0b0c0d0e0f00112233445566778899", "acme", "orders",
            "orders-route", "GET", "/v1/orders/12345", 429, T, 300, 254, 0, 0, null, true);

    @Test
    void writesKongLogsWithTheFieldsIngestReads() {
        JsonNode log = payloads.kong(LLM);

        assertThat(log.at("/request/id").asText()).isEqualTo("2f6946328ffc4946b8c9120704a4a155");
        assertThat(log.at("/consumer/custom_id").asText()).isEqualTo("umbrella");
        assertThat(log.at("/started_at").asLong()).isEqualTo(T.toEpochMilli());
        assertThat(log.at("/service/name").asText()).isEqualTo("chat");
        assertThat(log.at("/route/name").asText()).isEqualTo("chat-completions");
        assertThat(log.at("/response/status").asInt()).isEqualTo(200);
        assertThat(log.at("/source").asText()).isEqualTo("upstream");
        assertThat(log.at("/ai/proxy/usage/prompt_tokens").asLong()).isEqualTo(1_000);
        assertThat(log.at("/ai/proxy/usage/completion_tokens").asLong()).isEqualTo(500);
        assertThat(log.at("/request/headers/authorization").asText()).isEqualTo("REDACTED");
    }

    @Test
    void marksAResponseKongMadeItselfAsSourceKongWithoutUpstream() {
        JsonNode log = payloads.kong(RATE_LIMITED);

        assertThat(log.at("/source").asText()).isEqualTo("kong");
        assertThat(log.at("/response/status").asInt()).isEqualTo(429);
        assertThat(log.at("/latencies/proxy").asInt()).isEqualTo(-1);
        assertThat(log.has("upstream_status")).isFalse();
        assertThat(log.has("ai")).isFalse();
    }

    @Test
    void writesApisixEntriesWithTheRequestIdInTheHeaderOrALogField() {
        JsonNode header = payloads.apisix(LLM, GatewayPayloads.ApisixRequestId.HEADER);
        JsonNode field = payloads.apisix(LLM, GatewayPayloads.ApisixRequestId.LOG_FIELD);

        assertThat(header.at("/request/headers/x-request-id").asText()).isEqualTo(LLM.id());
        assertThat(header.has("request_id")).isFalse();
        assertThat(field.at("/request_id").asText()).isEqualTo(LLM.id());
        assertThat(field.at("/request/headers").has("x-request-id")).isFalse();
        assertThat(header.at("/consumer/username").asText()).isEqualTo("umbrella");
        assertThat(header.at("/route_id").asText()).isEqualTo("chat-completions");
        assertThat(header.at("/start_time").asDouble()).isEqualTo(T.toEpochMilli() + 0.25);
        assertThat(header.at("/llm_summary/prompt_tokens").isNumber()).isTrue();
        assertThat(field.at("/llm_summary/prompt_tokens").asText()).isEqualTo("1000");
        assertThat(field.at("/llm_summary/completion_tokens").isTextual()).isTrue();
    }

    @Test
    void writesCanonicalEventsAndCloudEventsWithTheSameMeters() throws Exception {
        JsonNode canonical = json.readTree(payloads.bytes(payloads.canonical(LLM)));
        JsonNode cloudEvent = json.readTree(payloads.bytes(payloads.cloudEvent(LLM)));

        assertThat(canonical).isEqualTo(json.readTree("""
                {"id": "2f6946328ffc4946b8c9120704a4a155", "consumer": "umbrella", "time": "2026-11-21T10:00:00.123Z",
                 "source": "gw-eu-1", "api": "chat", "method": "POST", "path": "/v1/chat/completions", "status": 200,
                 "meters": {"requests": 1, "input_tokens": 1000, "output_tokens": 500}}
                """));
        assertThat(cloudEvent).isEqualTo(json.readTree("""
                {"specversion": "1.0", "id": "2f6946328ffc4946b8c9120704a4a155", "source": "gw-eu-1",
                 "type": "io.tollgate.api.call", "subject": "umbrella", "time": "2026-11-21T10:00:00.123Z",
                 "datacontenttype": "application/json",
                 "data": {"api": "chat", "method": "POST", "path": "/v1/chat/completions", "status": 200,
                          "meters": {"requests": 1, "input_tokens": 1000, "output_tokens": 500}}}
                """));
    }

    @Test
    void writesNewlineDelimitedBatchesOneObjectPerLine() throws Exception {
        byte[] body = payloads.newlineDelimited(List.of(payloads.apisix(LLM, GatewayPayloads.ApisixRequestId.HEADER),
                payloads.apisix(RATE_LIMITED, GatewayPayloads.ApisixRequestId.HEADER)));

        String[] lines = new String(body, StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(2);
        assertThat(json.readTree(lines[1]).at("/request/headers/x-request-id").asText()).isEqualTo(RATE_LIMITED.id());
    }
}
