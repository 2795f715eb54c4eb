package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.tollgate.ingest.format.Fixtures.JSON;
import static io.tollgate.ingest.format.Fixtures.RECEIVED;
import static io.tollgate.ingest.format.Fixtures.bytes;
import static io.tollgate.ingest.format.Fixtures.onlyParsed;
import static io.tollgate.ingest.format.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

class ApisixLogParserTest {
    private final ApisixLogParser parser = new ApisixLogParser();

    @Test
    void normalizesAKafkaLoggerBatch() {
        List<ParseResult> results = parse(parser, bytes("apisix/kafka-logger-batch.json"));

        assertThat(results).hasSize(2);
        assertThat(((ParseResult.Parsed) results.get(0)).event()).isEqualTo(UsageEvent.newBuilder()
                .setId("8d3c4a4e-7b0e-4f7c-9a43-5f2f0b8f1a21").setSource("apisix-node-1").setConsumer("jack").setGateway("apisix")
                .setApi(null).setRoute("1").setMethod("GET").setPath("/hello").setStatus(200)
                .setEventTime(Instant.ofEpochMilli(1619414294760L)).setIngestTime(RECEIVED)
                .setMeters(Map.of("requests", 1L, "bytes_in", 90L, "bytes_out", 190L))
                .setLlmProvider(null).setLlmModel(null).build());
        assertThat(((ParseResult.Parsed) results.get(1)).event()).isEqualTo(UsageEvent.newBuilder()
                .setId("f0e1d2c3b4a5968778695a4b3c2d1e0f").setSource("apisix-node-2").setConsumer("jill").setGateway("apisix")
                .setApi("llm").setRoute("chat").setMethod("POST").setPath("/v1/chat/completions").setStatus(200)
                .setEventTime(Instant.ofEpochMilli(1619414295001L)).setIngestTime(RECEIVED)
                .setMeters(Map.of("requests", 1L, "bytes_in", 300L, "bytes_out", 2048L, "input_tokens", 1200L, "output_tokens", 310L))
                .setLlmProvider(null).setLlmModel("gpt-4o-2024-08-06").build());
    }

    @Test
    void readsNewlineDelimitedHttpLoggerBodies() throws Exception {
        String ndjson = JSON.readTree(bytes("apisix/kafka-logger-batch.json")).get(0).toString() + "\n"
                + JSON.readTree(bytes("apisix/kafka-logger-batch.json")).get(1).toString() + "\n";

        assertThat(parse(parser, ndjson)).extracting(r -> ((ParseResult.Parsed) r).event().getConsumer()).containsExactly("jack", "jill");
    }

    @Test
    void derivesADeterministicIdWithoutRequestIdPluginAndFallsBackToTheFormatAsSource() throws Exception {
        ObjectNode record = (ObjectNode) JSON.readTree(bytes("apisix/kafka-logger-batch.json")).get(0);
        record.with("request").with("headers").remove("x-request-id");
        record.remove("server");

        UsageEvent first = onlyParsed(parser.parseAll(List.of(record), RECEIVED)).event();
        UsageEvent again = onlyParsed(parser.parseAll(List.of(record.deepCopy()), RECEIVED.plusSeconds(60))).event();

        assertThat(first.getId()).startsWith("sha256:").isEqualTo(again.getId()).isEqualTo(ContentId.of(record));
        assertThat(first.getSource()).isEqualTo("apisix").isEqualTo(again.getSource());
    }

    @Test
    void skipsAnonymousCallsAndNamesInvalidFields() throws Exception {
        ObjectNode anonymous = (ObjectNode) JSON.readTree(bytes("apisix/kafka-logger-batch.json")).get(0);
        anonymous.remove("consumer");
        ObjectNode bad = (ObjectNode) JSON.readTree(bytes("apisix/kafka-logger-batch.json")).get(1);
        bad.put("start_time", "soon");
        bad.with("llm_summary").put("completion_tokens", -1);

        assertThat(parser.parseAll(List.of(anonymous, bad), RECEIVED)).containsExactly(
                new ParseResult.Skipped(0, "no_consumer"),
                new ParseResult.Invalid(1, "start_time", "must be a number"),
                new ParseResult.Invalid(1, "llm_summary.completion_tokens", "must not be negative"));
    }
}
