package io.tollgate.localstack.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.avro.UsageEvent;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link AvroSerde} through a real broker and the real registry, and against bytes framed by hand in the Confluent wire format. */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class AvroSerdeRoundTripIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant CALL = Instant.parse("2026-11-21T10:00:00.123Z");

    @Test
    void usageEventsWrittenWithTheSerdeComeBackEqualThroughTheBroker(KafkaStack stack) {
        String topic = stack.unique("usage.events");
        stack.createTopic(Topics.USAGE_EVENTS.withName(topic));
        List<UsageEvent> sent = List.of(
                event("evt-1", "acme", Map.of("requests", 1L, "input_tokens", 1200L, "output_tokens", 310L)),
                event("evt-2", "globex", Map.of("requests", 1L)),
                UsageEvent.newBuilder(event("evt-3", "acme", Map.of("requests", 1L))).setApi(null).setStatus(null).build());

        try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).serializer())) {
            for (UsageEvent e : sent) {
                producer.send(new ProducerRecord<>(topic, e.getConsumer(), e));
            }
            producer.flush();
        }

        List<UsageEvent> received = new ArrayList<>();
        try (KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, stack.unique("serde-reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).deserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> received.add(r.value()));
                return received.size() >= sent.size();
            });
        }
        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
    }

    @Test
    void whatTheSerdeWritesIsConfluentWireFormatWithTheRegistrysIdOfTheSubjectsSchema(KafkaStack stack) throws Exception {
        String topic = stack.unique("usage.events");
        stack.createTopic(Topics.USAGE_EVENTS.withName(topic));
        UsageEvent event = event("evt-wire", "acme", Map.of("requests", 1L));
        try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()), new StringSerializer(),
                AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).serializer())) {
            producer.send(new ProducerRecord<>(topic, "acme", event)).get(30, TimeUnit.SECONDS);
        }
        byte[] raw = readOneRaw(stack, topic);

        assertThat(raw[0]).isZero();
        int id = ByteBuffer.wrap(raw, 1, 4).getInt();
        JsonNode latest = get(stack.schemaRegistryUrl() + "/subjects/" + topic + "-value/versions/latest");
        assertThat(latest.path("id").asInt()).isEqualTo(id);
        Schema writer = new Schema.Parser().parse(get(stack.schemaRegistryUrl() + "/schemas/ids/" + id).path("schema").asText());
        GenericRecord decoded = new GenericDatumReader<GenericRecord>(writer)
                .read(null, DecoderFactory.get().binaryDecoder(raw, 5, raw.length - 5, null));
        assertThat(decoded.get("id").toString()).isEqualTo("evt-wire");
        assertThat(decoded.get("consumer").toString()).isEqualTo("acme");
        assertThat(decoded.get("eventTime")).isEqualTo(CALL.toEpochMilli());
    }

    @Test
    void aRecordFramedByHandWithAnIdRegisteredOverPlainHttpDecodesWithTheSerde(KafkaStack stack) throws Exception {
        String topic = stack.unique("usage.events");
        Schema schema = UsageEvent.getClassSchema();
        String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
        int id = post(stack.schemaRegistryUrl() + "/subjects/" + topic + "-value/versions", body).path("id").asInt(-1);
        assertThat(id).isNotNegative();

        GenericRecord record = new GenericData.Record(schema);
        record.put("id", "evt-by-hand");
        record.put("source", "gw-eu-1");
        record.put("consumer", "initech");
        record.put("gateway", "kong");
        record.put("api", "orders");
        record.put("method", "POST");
        record.put("path", "/v1/orders");
        record.put("status", 201);
        record.put("eventTime", CALL.toEpochMilli());
        record.put("ingestTime", CALL.plusMillis(5).toEpochMilli());
        record.put("meters", Map.of("requests", 1L, "input_tokens", 2000L));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();

        UsageEvent decoded = AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).deserialize(topic, out.toByteArray());

        assertThat(decoded.getId()).isEqualTo("evt-by-hand");
        assertThat(decoded.getSource()).isEqualTo("gw-eu-1");
        assertThat(decoded.getConsumer()).isEqualTo("initech");
        assertThat(decoded.getGateway()).isEqualTo("kong");
        assertThat(decoded.getApi()).isEqualTo("orders");
        assertThat(decoded.getMethod()).isEqualTo("POST");
        assertThat(decoded.getPath()).isEqualTo("/v1/orders");
        assertThat(decoded.getStatus()).isEqualTo(201);
        assertThat(decoded.getEventTime()).isEqualTo(CALL);
        assertThat(decoded.getIngestTime()).isEqualTo(CALL.plusMillis(5));
        assertThat(decoded.getMeters()).containsExactlyInAnyOrderEntriesOf(Map.of("requests", 1L, "input_tokens", 2000L));
        assertThat(decoded.getLlmModel()).isNull();
    }

    @Test
    void theSerdeFindsTheIdOfASchemaRegisteredByAnotherWriterWithoutRegisteringAgain(KafkaStack stack) throws Exception {
        String topic = stack.unique("usage.events");
        String spaced = UsageEvent.getClassSchema().toString(true);
        int id = post(stack.schemaRegistryUrl() + "/subjects/" + topic + "-value/versions",
                JSON.createObjectNode().put("schema", spaced).toString()).path("id").asInt(-1);

        AvroSerde<UsageEvent> serde = new AvroSerde<>(UsageEvent.class);
        serde.configure(Map.of("schema.registry.url", stack.schemaRegistryUrl(), AvroSerde.AUTO_REGISTER, "false"), false);
        byte[] bytes = serde.serialize(topic, event("evt-lookup", "acme", Map.of("requests", 1L)));

        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        assertThat(get(stack.schemaRegistryUrl() + "/subjects/" + topic + "-value/versions").size()).isEqualTo(1);
    }

    private static UsageEvent event(String id, String consumer, Map<String, Long> meters) {
        return UsageEvent.newBuilder()
                .setId(id).setSource("gw-eu-1").setConsumer(consumer).setGateway("canonical")
                .setApi("orders").setMethod("POST").setPath("/v1/orders").setStatus(201)
                .setEventTime(CALL).setIngestTime(CALL.plusMillis(2))
                .setMeters(meters).build();
    }

    private static byte[] readOneRaw(KafkaStack stack, String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, stack.unique("raw-reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                return !records.isEmpty();
            });
        }
        assertThat(records).hasSize(1);
        return records.get(0).value();
    }

    private static JsonNode get(String url) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url)).GET().build());
    }

    private static JsonNode post(String url, String body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static JsonNode send(HttpRequest request) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(request.method() + " " + request.uri() + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
