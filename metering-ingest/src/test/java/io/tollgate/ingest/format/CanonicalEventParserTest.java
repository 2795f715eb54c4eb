package io.tollgate.ingest.format;

import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.tollgate.ingest.format.Fixtures.RECEIVED;
import static io.tollgate.ingest.format.Fixtures.onlyParsed;
import static io.tollgate.ingest.format.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

class CanonicalEventParserTest {
    private final CanonicalEventParser parser = new CanonicalEventParser();

    @Test
    void readsTheSpecExample() {
        UsageEvent event = onlyParsed(parse(parser, """
                {"id": "9f1c", "consumer": "acme", "time": "2026-11-21T10:00:00.123Z", "source": "gw-eu-1",
                 "api": "orders", "method": "post", "path": "/v1/orders", "status": 201,
                 "meters": {"requests": 1, "input_tokens": 1200, "output_tokens": 310}}
                """)).event();

        assertThat(event).isEqualTo(UsageEvent.newBuilder()
                .setId("9f1c").setSource("gw-eu-1").setConsumer("acme").setGateway("canonical")
                .setApi("orders").setRoute(null).setMethod("POST").setPath("/v1/orders").setStatus(201)
                .setEventTime(Instant.parse("2026-11-21T10:00:00.123Z")).setIngestTime(RECEIVED)
                .setMeters(Map.of("requests", 1L, "input_tokens", 1200L, "output_tokens", 310L))
                .setLlmProvider(null).setLlmModel(null).build());
    }

    @Test
    void refusesAnEventDatedMoreThanTheSkewAfterItsReceiptAndNamesTheTimeField() {
        List<ParseResult> results = parse(parser, "[{\"id\": \"now\", \"consumer\": \"acme\", \"time\": \""
                + RECEIVED.plus(EventParser.MAX_FUTURE_SKEW) + "\"},"
                + " {\"id\": \"far\", \"consumer\": \"acme\", \"time\": \"2099-01-01T00:00:00Z\"}]");

        assertThat(results).hasSize(2);
        assertThat(results.get(0)).isInstanceOf(ParseResult.Parsed.class);
        assertThat(results.get(1)).isEqualTo(new ParseResult.Invalid(1, "time",
                "more than 5 minutes after its receipt (2099-01-01T00:00:00Z)"));
    }

    @Test
    void defaultsMetersTimeAndSource() {
        UsageEvent event = onlyParsed(parse(parser, "{\"id\": \"e1\", \"consumer\": \"acme\"}")).event();

        assertThat(event.getMeters()).isEqualTo(Map.of("requests", 1L));
        assertThat(event.getEventTime()).isEqualTo(RECEIVED);
        assertThat(event.getSource()).isEqualTo("canonical");
    }

    @Test
    void readsNumericStringsAndExponentFloatsAndIgnoresUnknownFields() {
        UsageEvent event = onlyParsed(parse(parser, """
                {"id": 17, "consumer": "acme", "status": "200", "colour": "blue",
                 "meters": {"input_tokens": "1.2e3", "output_tokens": 3.1e2, "requests": "1"}}
                """)).event();

        assertThat(event.getId()).isEqualTo("17");
        assertThat(event.getStatus()).isEqualTo(200);
        assertThat(event.getMeters()).isEqualTo(Map.of("requests", 1L, "input_tokens", 1200L, "output_tokens", 310L));
    }

    @Test
    void rejectsBatchWithMissingConsumerAndNamesTheField() {
        List<ParseResult> results = parse(parser, """
                [{"id": "a", "consumer": "acme"},
                 {"id": "b"},
                 {"id": "c", "consumer": "  "},
                 {"consumer": "acme", "meters": {"input_tokens": 1.5, "output_tokens": -2}}]
                """);

        assertThat(results).hasSize(6);
        assertThat(results.get(0)).isInstanceOf(ParseResult.Parsed.class);
        assertThat(results.subList(1, 6)).containsExactly(
                new ParseResult.Invalid(1, "consumer", "required"),
                new ParseResult.Invalid(2, "consumer", "required"),
                new ParseResult.Invalid(3, "id", "required"),
                new ParseResult.Invalid(3, "meters.input_tokens", "must be an integer"),
                new ParseResult.Invalid(3, "meters.output_tokens", "must not be negative"));
    }

    @Test
    void refusesBadTimesStatusesAndShapes() {
        assertThat(parse(parser, """
                [{"id": "a", "consumer": "acme", "time": "yesterday", "status": 999, "meters": []},
                 "not an object",
                 {"id": "b", "consumer": {"name": "acme"}, "meters": {}}]
                """)).containsExactly(
                new ParseResult.Invalid(0, "time", "must be an RFC 3339 timestamp"),
                new ParseResult.Invalid(0, "status", "must be an HTTP status between 100 and 599"),
                new ParseResult.Invalid(0, "meters", "must be a JSON object"),
                new ParseResult.Invalid(1, "event", "must be a JSON object"),
                new ParseResult.Invalid(2, "consumer", "must be a string"),
                new ParseResult.Invalid(2, "meters", "must name at least one meter"));
    }

    @Test
    void acceptsTimeWithAnOffsetAndKeepsMilliseconds() {
        UsageEvent event = onlyParsed(parse(parser,
                "{\"id\": \"a\", \"consumer\": \"acme\", \"time\": \"2026-11-21T11:00:00.123456+01:00\"}")).event();

        assertThat(event.getEventTime()).isEqualTo(Instant.parse("2026-11-21T10:00:00.123Z"));
    }

    @Test
    void readsCloudEventsSentAsPlainJson() {
        List<ParseResult> results = parse(parser, """
                [{"id": "a", "consumer": "acme"},
                 {"specversion": "1.0", "id": "ce-1", "source": "kong-metering", "type": "kong.api_request", "subject": "globex"},
                 {"specversion": "1.0", "id": "ce-2", "source": "kong-metering", "type": "kong.api_request"}]
                """);

        assertThat(((ParseResult.Parsed) results.get(1)).event().getGateway()).isEqualTo("cloudevents");
        assertThat(((ParseResult.Parsed) results.get(1)).event().getConsumer()).isEqualTo("globex");
        assertThat(results.get(2)).isEqualTo(new ParseResult.Invalid(2, "subject", "required"));
    }
}
