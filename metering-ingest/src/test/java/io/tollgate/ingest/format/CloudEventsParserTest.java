package io.tollgate.ingest.format;

import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.tollgate.ingest.format.Fixtures.RECEIVED;
import static io.tollgate.ingest.format.Fixtures.onlyParsed;
import static io.tollgate.ingest.format.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

class CloudEventsParserTest {
    private final CloudEventsParser parser = new CloudEventsParser();

    @Test
    void mapsSubjectToConsumerAndDataToTheCanonicalFields() {
        UsageEvent event = onlyParsed(parse(parser, """
                {"specversion": "1.0", "id": "req-1", "source": "gw://kong/eu-1", "type": "com.acme.api.request",
                 "subject": "acme", "time": "2026-11-21T10:00:00Z", "datacontenttype": "application/json",
                 "data": {"api": "orders", "route": "create-order", "method": "POST", "path": "/v1/orders", "status": "201",
                          "meters": {"requests": 1, "input_tokens": "1.2e3"}, "llmProvider": "openai", "llmModel": "gpt-4o"}}
                """)).event();

        assertThat(event).isEqualTo(UsageEvent.newBuilder()
                .setId("req-1").setSource("gw://kong/eu-1").setConsumer("acme").setGateway("cloudevents")
                .setApi("orders").setRoute("create-order").setMethod("POST").setPath("/v1/orders").setStatus(201)
                .setEventTime(Instant.parse("2026-11-21T10:00:00Z")).setIngestTime(RECEIVED)
                .setMeters(Map.of("requests", 1L, "input_tokens", 1200L))
                .setLlmProvider("openai").setLlmModel("gpt-4o").build());
    }

    @Test
    void readsFlatMetersAsGatewaysMd73RecommendsAndDefaultsToOneRequest() {
        List<ParseResult> results = parse(parser, """
                [{"specversion": "1.0", "id": "a", "source": "s", "type": "t", "subject": "acme",
                  "data": {"api": "orders", "status": "200", "requests": "1", "bytes_in": "139", "bytes_out": "9982"}},
                 {"specversion": "1.0", "id": "b", "source": "s", "type": "t", "subject": "acme"}]
                """);

        assertThat(((ParseResult.Parsed) results.get(0)).event().getMeters())
                .isEqualTo(Map.of("requests", 1L, "bytes_in", 139L, "bytes_out", 9982L));
        assertThat(((ParseResult.Parsed) results.get(1)).event().getMeters()).isEqualTo(Map.of("requests", 1L));
        assertThat(((ParseResult.Parsed) results.get(1)).event().getEventTime()).isEqualTo(RECEIVED);
    }

    @Test
    void readsJsonDataFromDataBase64() {
        String data = Base64.getEncoder().encodeToString("{\"meters\": {\"output_tokens\": 7}}".getBytes());
        UsageEvent event = onlyParsed(parse(parser,
                "{\"specversion\": \"1.0\", \"id\": \"a\", \"source\": \"s\", \"type\": \"t\", \"subject\": \"acme\", \"data_base64\": \"" + data + "\"}"))
                .event();

        assertThat(event.getMeters()).isEqualTo(Map.of("output_tokens", 7L));
    }

    @Test
    void requiresTheCloudEventsAttributesAndASubject() {
        assertThat(parse(parser, """
                [{"specversion": "0.3", "data": {"meters": {"requests": -1}}},
                 {"specversion": "1.0", "id": "x", "source": "s", "type": "t", "subject": "acme", "data": "text"}]
                """)).containsExactly(
                new ParseResult.Invalid(0, "specversion", "must be 1.0"),
                new ParseResult.Invalid(0, "id", "required"),
                new ParseResult.Invalid(0, "source", "required"),
                new ParseResult.Invalid(0, "type", "required"),
                new ParseResult.Invalid(0, "subject", "required"),
                new ParseResult.Invalid(0, "data.meters.requests", "must not be negative"),
                new ParseResult.Invalid(1, "data", "must be a JSON object"));
    }
}
