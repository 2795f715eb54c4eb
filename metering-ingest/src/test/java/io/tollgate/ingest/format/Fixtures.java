package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Gateway samples from GATEWAYS.md under src/test/resources, and small helpers for parser tests. */
public final class Fixtures {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final Instant RECEIVED = Instant.parse("2026-11-21T10:00:05.000Z");

    private Fixtures() {
    }

    public static byte[] bytes(String resource) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<ParseResult> parse(EventParser parser, byte[] body) {
        try {
            return parser.parseAll(JsonBodies.objectArrayOrLines(body), RECEIVED);
        } catch (MalformedBodyException e) {
            throw new AssertionError(e);
        }
    }

    public static List<ParseResult> parse(EventParser parser, String body) {
        return parse(parser, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static ParseResult.Parsed onlyParsed(List<ParseResult> results) {
        assertThat(results).hasSize(1);
        assertThat(results.get(0)).isInstanceOf(ParseResult.Parsed.class);
        return (ParseResult.Parsed) results.get(0);
    }
}
