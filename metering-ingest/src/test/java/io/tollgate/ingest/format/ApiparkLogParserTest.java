package io.tollgate.ingest.format;

import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static io.tollgate.ingest.format.Fixtures.RECEIVED;
import static io.tollgate.ingest.format.Fixtures.onlyParsed;
import static io.tollgate.ingest.format.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

class ApiparkLogParserTest {
    // The example record of GATEWAYS.md part 2 §1.10 (formatter of §1.10).
    private static final String RECORD = """
            {"id":"4a6e0c0e-2a5b-4bd4-9f5c-6f1f0c9a2d11","msec":1761488904123,"time_iso8601":"2025-10-26T22:28:24.123+08:00",
             "cluster":"apipark-cluster","node":"node-1","application":"0b1e8f0e-3c5e-4d5c-9d55-1f0b3a1d2c3e",
             "authorization":"6a2f4b8e-8a1b-4a4c-bf3e-1d2c3b4a5f6e","provider":"c3d2e1f0-aaaa-4bbb-8ccc-123456789abc",
             "api":"9f8e7d6c-1111-4222-8333-abcdefabcdef","service":"c3d2e1f0-aaaa-4bbb-8ccc-123456789abc",
             "request_method":"POST","uri":"/cda53bf2/demo_translation_api","status":200,"proxy_status":200,
             "request_length":139,"response_length":"9982","request_time":1734,"block_name":"",
             "ai_provider":"openai","ai_model":"gpt-4o","ai_model_input_token":25,"ai_model_output_token":12,"ai_model_total_token":37}
            """;
    private final ApiparkLogParser parser = new ApiparkLogParser();

    @Test
    void normalizesTheRecommendedFormatterRecord() {
        UsageEvent event = onlyParsed(parse(parser, RECORD)).event();

        assertThat(event).isEqualTo(UsageEvent.newBuilder()
                .setId("4a6e0c0e-2a5b-4bd4-9f5c-6f1f0c9a2d11").setSource("apipark:apipark-cluster/node-1")
                .setConsumer("0b1e8f0e-3c5e-4d5c-9d55-1f0b3a1d2c3e").setGateway("apipark")
                .setApi("9f8e7d6c-1111-4222-8333-abcdefabcdef").setRoute(null).setMethod("POST")
                .setPath("/cda53bf2/demo_translation_api").setStatus(200)
                .setEventTime(Instant.ofEpochMilli(1761488904123L)).setIngestTime(RECEIVED)
                .setMeters(Map.of("requests", 1L, "bytes_in", 139L, "bytes_out", 9982L, "input_tokens", 25L, "output_tokens", 12L))
                .setLlmProvider("openai").setLlmModel("gpt-4o").build());
    }

    @Test
    void treatsEmptyStringsAsAbsentAndNegativeResponseLengthAsUnknown() {
        UsageEvent event = onlyParsed(parse(parser, RECORD
                .replace("\"msec\":1761488904123,", "\"msec\":\"\",")
                .replace("\"ai_model_input_token\":25", "\"ai_model_input_token\":\"\"")
                .replace("\"ai_model_output_token\":12", "\"ai_model_output_token\":\"\"")
                .replace("\"response_length\":\"9982\"", "\"response_length\":\"-1\""))).event();

        assertThat(event.getMeters()).isEqualTo(Map.of("requests", 1L, "bytes_in", 139L));
        assertThat(event.getEventTime()).isEqualTo(Instant.parse("2025-10-26T14:28:24.123Z"));
    }

    @Test
    void skipsGatewayDenialsAndUnauthenticatedCalls() {
        assertThat(parse(parser, "[" + RECORD.replace("\"proxy_status\":200", "\"proxy_status\":\"\"").replace("\"status\":200", "\"status\":403")
                + "," + RECORD.replace("\"application\":\"0b1e8f0e-3c5e-4d5c-9d55-1f0b3a1d2c3e\"", "\"application\":\"\"") + "]"))
                .containsExactly(new ParseResult.Skipped(0, "gateway_response"), new ParseResult.Skipped(1, "no_consumer"));
    }

    @Test
    void namesInvalidFields() {
        assertThat(parse(parser, RECORD.replace("\"msec\":1761488904123,", "").replace("\"time_iso8601\":\"2025-10-26T22:28:24.123+08:00\",", "")
                .replace("\"ai_model_input_token\":25", "\"ai_model_input_token\":2.5")))
                .containsExactly(new ParseResult.Invalid(0, "msec", "required"),
                        new ParseResult.Invalid(0, "ai_model_input_token", "must be an integer"));
    }
}
