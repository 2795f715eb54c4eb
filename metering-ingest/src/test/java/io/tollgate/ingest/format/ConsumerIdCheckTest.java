package io.tollgate.ingest.format;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tollgate.ingest.format.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every format refuses an event whose consumer is not a valid consumer id (SPEC §6, {@code ConsumerIds}), naming the
 * field it was read from; the other events of the batch are unaffected.
 */
class ConsumerIdCheckTest {
    private static final String FORGED = "acme\\r\\n2026-11-21 INFO admin granted credits";
    private static final String CONTROL_REASON_START = "has a control or invisible character (U+000D) at position 4;";

    private static ParseResult.Invalid onlyInvalid(List<ParseResult> results) {
        assertThat(results).hasSize(1);
        assertThat(results.get(0)).isInstanceOf(ParseResult.Invalid.class);
        return (ParseResult.Invalid) results.get(0);
    }

    @Test
    void canonicalEventsNameTheConsumerField() {
        List<ParseResult> results = parse(new CanonicalEventParser(), "[{\"id\": \"e1\", \"consumer\": \"" + FORGED + "\"},"
                + " {\"id\": \"e2\", \"consumer\": \"acme\"}, {\"id\": \"e3\", \"consumer\": \"" + "x".repeat(257) + "\"}]");

        assertThat(results).hasSize(3);
        assertThat(results.get(0)).isInstanceOfSatisfying(ParseResult.Invalid.class, invalid -> {
            assertThat(invalid.index()).isZero();
            assertThat(invalid.field()).isEqualTo("consumer");
            assertThat(invalid.reason()).startsWith(CONTROL_REASON_START);
        });
        assertThat(results.get(1)).isInstanceOf(ParseResult.Parsed.class);
        assertThat(results.get(2)).isEqualTo(new ParseResult.Invalid(2, "consumer", "is longer than 256 characters"));
    }

    @Test
    void cloudEventsNameTheSubject() {
        String event = "{\"specversion\": \"1.0\", \"id\": \"c1\", \"source\": \"gw\", \"type\": \"api.request\", \"subject\": \"a\\u202Eb\"}";

        assertThat(onlyInvalid(parse(new CloudEventsParser(), event)).field()).isEqualTo("subject");
        assertThat(onlyInvalid(parse(new CanonicalEventParser(), event)).field()).isEqualTo("subject");
    }

    @Test
    void kongNamesTheConsumerFieldItRead() {
        String record = """
                {"request": {"id": "k-1", "method": "GET", "uri": "/orders", "size": 139}, "response": {"status": 200, "size": 10},
                 "source": "upstream", "started_at": 1726783839538, "consumer": {"id": "u-1", "custom_id": "%s"}}""".formatted(FORGED);

        ParseResult.Invalid invalid = onlyInvalid(parse(new KongLogParser(), record));

        assertThat(invalid.field()).isEqualTo("consumer.custom_id");
        assertThat(invalid.reason()).startsWith(CONTROL_REASON_START);
    }

    @Test
    void apisixNamesTheUsername() {
        String record = """
                {"start_time": 1619414294760, "request": {"method": "GET", "uri": "/hello", "size": 90, "headers": {"x-request-id": "a-1"}},
                 "response": {"status": 200, "size": 190}, "consumer": {"username": "%s"}}""".formatted(FORGED);

        assertThat(onlyInvalid(parse(new ApisixLogParser(), record)).field()).isEqualTo("consumer.username");
    }

    @Test
    void awsNamesTheFieldTheConsumerCameFrom() {
        String line = AwsAccessLogParserTest.LINE.replace("\"consumerId\":\"cons_42\"", "\"consumerId\":\"-\"")
                .replace("\"apiKeyId\":\"k4b1c2d3e4\"", "\"apiKeyId\":\"" + FORGED + "\"");

        assertThat(onlyInvalid(parse(new AwsAccessLogParser(), line)).field()).isEqualTo("apiKeyId");
    }

    @Test
    void apiparkNamesTheApplication() {
        String record = """
                {"id": "r-1", "msec": 1761488904123, "cluster": "c", "node": "n", "application": "%s", "request_method": "GET",
                 "uri": "/x", "status": 200, "proxy_status": 200}""".formatted(FORGED);

        assertThat(onlyInvalid(parse(new ApiparkLogParser(), record)).field()).isEqualTo("application");
    }
}
