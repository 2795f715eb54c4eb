package io.tollgate.ingest.raw;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.schemas.registry.InMemorySchemaRegistry;
import io.tollgate.schemas.serde.AvroSerde;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** On the raw topics, a record whose consumer is not a valid consumer id goes to the dead letters naming the field. */
class RawConsumerIdsTest {
    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    private final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> kong;
    private final TestOutputTopic<String, UsageEvent> usage;
    private final TestOutputTopic<byte[], DeadLetter> deadLetters;

    RawConsumerIdsTest() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tollgate-ingest-raw-consumer-ids");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(RawTopicsTopologyTest.topology(registry, new IngestMetrics(new SimpleMeterRegistry())), props,
                Instant.parse("2026-11-21T10:00:00Z"));
        ByteArraySerializer bytes = new ByteArraySerializer();
        kong = driver.createInputTopic("gateway.kong.logs", bytes, bytes);
        usage = driver.createOutputTopic("usage.events", new StringDeserializer(), AvroSerde.forValues(UsageEvent.class, registry).deserializer());
        deadLetters = driver.createOutputTopic("usage.events.dlq", new ByteArrayDeserializer(),
                AvroSerde.forValues(DeadLetter.class, registry).deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    private static String kong(String id, String consumer) {
        return """
                {"request": {"id": "%s", "method": "GET", "uri": "/orders"}, "response": {"status": 200}, "source": "upstream",
                 "started_at": 1763719200000, "consumer": {"username": "%s"}}""".formatted(id, consumer);
    }

    @Test
    void aKongRecordWithAForgedConsumerIsADeadLetterAndTheGoodOnesPass() {
        kong.pipeInput(null, ("[" + kong("k-1", "acme") + "," + kong("k-2", "acme\\r\\nINFO forged") + "]").getBytes(StandardCharsets.UTF_8));

        assertThat(usage.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("acme");
        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getStage()).isEqualTo("ingest-validate");
        assertThat(letter.getReason()).startsWith("index 1 consumer.username: has a control or invisible character (U+000D) at position 4;");
    }
}
