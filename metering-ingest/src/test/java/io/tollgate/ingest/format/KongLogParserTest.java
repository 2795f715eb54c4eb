package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.tollgate.ingest.format.Fixtures.JSON;
import static io.tollgate.ingest.format.Fixtures.RECEIVED;
import static io.tollgate.ingest.format.Fixtures.bytes;
import static io.tollgate.ingest.format.Fixtures.onlyParsed;
import static io.tollgate.ingest.format.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

class KongLogParserTest {
    private final KongLogParser parser = new KongLogParser();

    private static ObjectNode sample() throws Exception {
        return (ObjectNode) JSON.readTree(bytes("kong/http-log-authenticated.json"));
    }

    @Test
    void normalizesAnAuthenticatedHttpLogRecord() {
        UsageEvent event = onlyParsed(parse(parser, bytes("kong/http-log-authenticated.json"))).event();

        assertThat(event).isEqualTo(UsageEvent.newBuilder()
                .setId("2f6946328ffc4946b8c9120704a4a155").setSource("kong").setConsumer("cust-42").setGateway("kong")
                .setApi("example_service").setRoute("example_route").setMethod("GET").setPath("/example-route").setStatus(200)
                .setEventTime(Instant.ofEpochMilli(1726783839538L)).setIngestTime(RECEIVED)
                .setMeters(Map.of("requests", 1L, "bytes_in", 139L, "bytes_out", 9982L))
                .setLlmProvider(null).setLlmModel(null).build());
    }

    @Test
    void sumsAiTokensOverPluginsAndReadsTheProxyModel() {
        UsageEvent event = onlyParsed(parse(parser, bytes("kong/ai-proxy.json"))).event();

        assertThat(event.getMeters()).isEqualTo(Map.of("requests", 1L, "bytes_in", 512L, "bytes_out", 1700L,
                "input_tokens", 30L, "output_tokens", 15L));
        assertThat(event.getLlmProvider()).isEqualTo("openai");
        assertThat(event.getLlmModel()).isEqualTo("gpt-3.5-turbo-0613");
        assertThat(event.getConsumer()).isEqualTo("c9d1e8f2-0000-4000-8000-000000000001");
        assertThat(event.getMethod()).isEqualTo("POST");
        assertThat(event.getStatus()).isEqualTo(200);
        assertThat(event.getEventTime()).isEqualTo(Instant.ofEpochMilli(1726783839538L));
    }

    @Test
    void skipsResponsesKongMadeItself() throws Exception {
        ObjectNode denied = sample().put("source", "kong");
        denied.with("response").put("status", 402);

        assertThat(parser.parseAll(List.of(denied), RECEIVED)).containsExactly(new ParseResult.Skipped(0, "gateway_response"));
    }

    @Test
    void skipsCallsWithoutAConsumer() throws Exception {
        ObjectNode anonymous = sample();
        anonymous.remove("consumer");
        anonymous.remove("authenticated_entity");

        assertThat(parser.parseAll(List.of(anonymous), RECEIVED)).containsExactly(new ParseResult.Skipped(0, "no_consumer"));
    }

    @Test
    void fallsBackFromCustomIdToIdToUsernameToAuthenticatedEntity() throws Exception {
        ObjectNode record = sample();
        record.with("consumer").remove("custom_id");
        assertThat(onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event().getConsumer()).isEqualTo("6ae3b7c2-6c55-4cbb-9d28-5f8e0b0b0d11");
        record.with("consumer").remove("id");
        assertThat(onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event().getConsumer()).isEqualTo("alice");
        record.remove("consumer");
        assertThat(onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event().getConsumer()).isEqualTo("6ae3b7c2-6c55-4cbb-9d28-5f8e0b0b0d11");
    }

    @Test
    void takesTheIdFromARequestHeaderOrCorrelationIdWhenRequestIdIsEmpty() throws Exception {
        ObjectNode record = sample();
        record.with("request").put("id", "");
        record.put("correlation_id", "corr-7");
        assertThat(onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event().getId()).isEqualTo("corr-7");
        record.with("request").with("headers").put("x-request-id", "hdr-9");
        assertThat(onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event().getId()).isEqualTo("hdr-9");
    }

    @Test
    void derivesTheSameIdFromTheSameBytesWhenThereIsNoRequestId() throws Exception {
        ObjectNode record = sample();
        record.with("request").remove("id");
        byte[] once = JSON.writeValueAsBytes(List.of(record));
        byte[] again = ("[" + new String(JSON.writeValueAsBytes(record), StandardCharsets.UTF_8) + "]").getBytes(StandardCharsets.UTF_8);

        String first = onlyParsed(parse(parser, once)).event().getId();
        String second = onlyParsed(parse(parser, again)).event().getId();

        assertThat(first).startsWith("sha256:").isEqualTo(second).isEqualTo(ContentId.of(record));
        record.put("started_at", 1726783839539L);
        assertThat(onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event().getId()).isNotEqualTo(first);
    }

    @Test
    void usesTheSourceTheGatewayAddsAndIgnoresUnknownFields() throws Exception {
        ObjectNode record = sample().put("tollgate_source", "kong-eu-1").put("some_new_field", 3);

        assertThat(onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event().getSource()).isEqualTo("kong-eu-1");
    }

    @Test
    void namesEveryInvalidFieldOfABatch() throws Exception {
        ObjectNode good = sample();
        ObjectNode bad = sample();
        bad.remove("started_at");
        bad.with("request").put("size", -5);
        bad.with("ai").with("proxy").with("usage").put("prompt_tokens", "2.5");

        assertThat(parser.parseAll(List.of(good, bad), RECEIVED)).containsExactly(
                new ParseResult.Parsed(0, onlyParsed(parser.parseAll(List.of(good), RECEIVED)).event()),
                new ParseResult.Invalid(1, "started_at", "required"),
                new ParseResult.Invalid(1, "request.size", "must not be negative"),
                new ParseResult.Invalid(1, "ai.proxy.usage.prompt_tokens", "must be an integer"));
    }
}
