package io.tollgate.ingest.raw;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.ingest.format.CloudEventsBinary;
import io.tollgate.ingest.format.CloudEventsParser;
import io.tollgate.ingest.format.EventParser;
import io.tollgate.ingest.format.JsonBodies;
import io.tollgate.ingest.format.MalformedBodyException;
import io.tollgate.ingest.format.ParseResult;
import io.tollgate.ingest.publish.UsagePublisher;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Normalizes one raw gateway record (an object or an array of them, or a CloudEvent in Kafka binary mode) into
 * UsageEvents timestamped with their event time; an element without a time of its own takes the record's timestamp. A record that is not JSON goes to the dead letters with stage {@value #STAGE_PARSE};
 * one with invalid elements sends its valid elements on and itself to the dead letters with stage
 * {@value #STAGE_VALIDATE} and every problem in the reason (replaying it is safe: the valid elements are
 * deduplicated downstream on (source, id)). Both leave in the same transaction as the input offsets.
 */
final class NormalizeProcessor implements Processor<byte[], byte[], byte[], RawOutcome> {
    static final String STAGE_PARSE = "ingest-parse";
    static final String STAGE_VALIDATE = "ingest-validate";
    private static final int MAX_REASONS = 20;

    private final Map<String, EventParser> parsersByTopic;
    private final IngestMetrics metrics;
    private final String deadLetterTopic;
    private ProcessorContext<byte[], RawOutcome> context;

    NormalizeProcessor(Map<String, EventParser> parsersByTopic, IngestMetrics metrics, String deadLetterTopic) {
        this.parsersByTopic = parsersByTopic;
        this.metrics = metrics;
        this.deadLetterTopic = deadLetterTopic;
    }

    @Override
    public void init(ProcessorContext<byte[], RawOutcome> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        if (record.value() == null) {
            deadLetter(record, now, STAGE_PARSE, "the record has no value");
            return;
        }
        RecordMetadata source = context.recordMetadata().orElse(null);
        EventParser parser = source == null ? null : parsersByTopic.get(source.topic());
        if (parser == null) {
            deadLetter(record, now, STAGE_PARSE, "no format is configured for topic " + (source == null ? "(unknown)" : source.topic()));
            return;
        }
        List<ParseResult> results;
        try {
            // A replayed record keeps its age: processing time would make it look new and count it again after the dedup window.
            Instant recordTime = record.timestamp() >= 0 ? Instant.ofEpochMilli(record.timestamp()) : now;
            results = parser.parseRecord(elements(parser, record), recordTime, now);
        } catch (MalformedBodyException e) {
            deadLetter(record, now, STAGE_PARSE, e.getMessage());
            return;
        } catch (RuntimeException e) {
            // A parser bug must not stop the partition: the record is kept, with the cause, in the dead letters.
            deadLetter(record, now, STAGE_PARSE, "cannot normalize: " + e);
            return;
        }
        List<ParseResult.Invalid> invalid = new ArrayList<>();
        byte[] ingestTime = Long.toString(now.toEpochMilli()).getBytes(StandardCharsets.UTF_8);
        int normalized = 0;
        for (ParseResult result : results) {
            if (result instanceof ParseResult.Parsed parsed) {
                forward(parsed.event(), ingestTime);
                normalized++;
            } else if (result instanceof ParseResult.Skipped skipped) {
                metrics.skipped(parser.format(), skipped.reason());
            } else if (result instanceof ParseResult.Invalid error) {
                invalid.add(error);
            }
        }
        metrics.rawNormalized(parser.format(), normalized);
        if (!invalid.isEmpty()) {
            String reason = invalid.stream().limit(MAX_REASONS)
                    .map(e -> "index " + e.index() + " " + e.field() + ": " + e.reason())
                    .collect(Collectors.joining("; "))
                    + (invalid.size() > MAX_REASONS ? "; and " + (invalid.size() - MAX_REASONS) + " more" : "");
            deadLetter(record, now, STAGE_VALIDATE, reason);
        }
    }

    /** A record's elements: its JSON, or for a CloudEvent in binary mode ({@code ce_} headers) the event it describes. */
    private static List<JsonNode> elements(EventParser parser, Record<byte[], byte[]> record) throws MalformedBodyException {
        if (parser.format().equals(CloudEventsParser.FORMAT) && record.headers().lastHeader("ce_specversion") != null) {
            Map<String, String> attributes = new HashMap<>();
            for (Header header : record.headers()) {
                attributes.put(header.key(), header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
            }
            return List.of(CloudEventsBinary.toStructured(attributes, CloudEventsBinary.KAFKA_PREFIX, record.value()));
        }
        return JsonBodies.objectOrArray(record.value());
    }

    private void forward(UsageEvent event, byte[] ingestTime) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(UsagePublisher.INGEST_TIME_HEADER, ingestTime);
        context.forward(new Record<>(event.getConsumer().getBytes(StandardCharsets.UTF_8), new RawOutcome.Usage(event),
                event.getEventTime().toEpochMilli(), headers));
    }

    private void deadLetter(Record<byte[], byte[]> record, Instant now, String stage, String reason) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        DeadLetter letter = DeadLetter.newBuilder()
                .setTopic(source == null ? null : source.topic())
                .setPartition(source == null ? null : source.partition())
                .setOffset(source == null ? null : source.offset())
                .setStage(stage)
                .setReason(reason)
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setTime(now)
                .build();
        metrics.deadLetter(source == null ? deadLetterTopic : source.topic(), stage);
        context.forward(new Record<>(record.key(), new RawOutcome.Dead(letter), record.timestamp(), new RecordHeaders()));
    }
}
