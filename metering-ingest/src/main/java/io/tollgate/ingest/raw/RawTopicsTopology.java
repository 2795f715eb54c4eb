package io.tollgate.ingest.raw;

import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.ingest.format.EventParser;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Raw gateway topics to {@code usage.events}: each raw topic is read as bytes and normalized by its
 * format's parser; usage events are re-keyed by consumer id and written with their event time as the
 * record timestamp; unreadable records go to the dead-letter topic as {@link DeadLetter}. Stateless, so
 * with {@code exactly_once_v2} a crash neither loses nor doubles a raw record. Every node is named.
 */
public final class RawTopicsTopology {
    /** A raw topic and the parser of the format written to it. */
    public record RawTopic(String topic, EventParser parser) {
    }

    /** Where the normalizer writes, and with which serdes. */
    public record Sinks(String usageTopic, Serde<UsageEvent> usageSerde, String deadLetterTopic, Serde<DeadLetter> deadLetterSerde) {
    }

    private RawTopicsTopology() {
    }

    public static Topology build(List<RawTopic> rawTopics, Sinks sinks, IngestMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        addTo(builder, rawTopics, sinks, metrics);
        return builder.build();
    }

    public static void addTo(StreamsBuilder builder, List<RawTopic> rawTopics, Sinks sinks, IngestMetrics metrics) {
        if (rawTopics.isEmpty()) {
            throw new IllegalArgumentException("at least one raw topic is needed");
        }
        Map<String, EventParser> parsers = new LinkedHashMap<>();
        rawTopics.forEach(raw -> parsers.put(raw.topic(), raw.parser()));
        // One source and one normalizer for every raw topic: each record takes the parser of its topic, and no
        // merge nodes sit on the per-event path.
        KStream<byte[], RawOutcome> normalized = builder
                .stream(List.copyOf(parsers.keySet()), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("raw-gateway-logs"))
                .process(() -> new NormalizeProcessor(parsers, metrics, sinks.deadLetterTopic()), Named.as("normalize"));
        normalized.split(Named.as("outcome-"))
                .branch((key, outcome) -> outcome instanceof RawOutcome.Usage, Branched.withConsumer(usage -> usage
                        .map((key, outcome) -> {
                            UsageEvent event = ((RawOutcome.Usage) outcome).event();
                            return KeyValue.pair(event.getConsumer(), event);
                        }, Named.as("key-by-consumer"))
                        .to(sinks.usageTopic(), Produced.with(Serdes.String(), sinks.usageSerde()).withName("usage-events-sink")),
                        "usage"))
                .defaultBranch(Branched.withConsumer(dead -> dead
                        .mapValues(outcome -> ((RawOutcome.Dead) outcome).letter(), Named.as("dead-letter-value"))
                        .to(sinks.deadLetterTopic(), Produced.with(Serdes.ByteArray(), sinks.deadLetterSerde()).withName("dead-letter-sink")),
                        "dead-letter"));
    }
}
