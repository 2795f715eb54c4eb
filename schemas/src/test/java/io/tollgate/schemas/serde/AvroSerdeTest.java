package io.tollgate.schemas.serde;

import com.fasterxml.jackson.databind.node.TextNode;
import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.schemas.registry.FakeRegistryServer;
import io.tollgate.schemas.registry.InMemorySchemaRegistry;
import io.tollgate.schemas.registry.RegistryConfig;
import io.tollgate.schemas.registry.SchemaRegistry;
import io.tollgate.schemas.registry.SchemaRegistryException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroSerdeTest {
    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00.123Z");
    private static final String TOPIC = "usage.events";

    /** Records what the serde asks of the registry; answers a fixed id so the wire bytes are predictable. */
    private static final class RecordingRegistry implements SchemaRegistry {
        final List<String> calls = Collections.synchronizedList(new ArrayList<>());
        final InMemorySchemaRegistry delegate = new InMemorySchemaRegistry();

        @Override
        public int register(String subject, Schema schema) {
            calls.add("register " + subject);
            return delegate.register(subject, schema);
        }

        @Override
        public int lookup(String subject, Schema schema) {
            calls.add("lookup " + subject);
            return delegate.lookup(subject, schema);
        }

        @Override
        public Schema schemaById(int id) {
            calls.add("schemaById " + id);
            return delegate.schemaById(id);
        }
    }

    private static final class FixedIdRegistry implements SchemaRegistry {
        private final int id;
        private final Schema schema;

        FixedIdRegistry(int id, Schema schema) {
            this.id = id;
            this.schema = schema;
        }

        @Override
        public int register(String subject, Schema s) {
            return id;
        }

        @Override
        public int lookup(String subject, Schema s) {
            return id;
        }

        @Override
        public Schema schemaById(int requested) {
            if (requested != id) {
                throw new SchemaRegistryException.NotFound(40403, "schema " + requested + " not found");
            }
            return schema;
        }
    }

    static UsageEvent usageEvent() {
        Map<String, Long> meters = new LinkedHashMap<>();
        meters.put("requests", 1L);
        meters.put("input_tokens", 1200L);
        meters.put("output_tokens", 310L);
        return UsageEvent.newBuilder()
                .setId("9f1c").setSource("gw-eu-1").setConsumer("acme").setGateway("canonical")
                .setApi("orders").setRoute("orders-route").setMethod("POST").setPath("/v1/orders").setStatus(201)
                .setEventTime(T0).setIngestTime(T0.plusMillis(250)).setMeters(meters)
                .setLlmProvider("openai").setLlmModel("gpt-4o").build();
    }

    static UsageEvent minimalUsageEvent() {
        return UsageEvent.newBuilder()
                .setId("e-2").setSource("kong-1").setConsumer("globex").setGateway("kong")
                .setEventTime(T0).setIngestTime(T0).setMeters(Map.of("requests", 1L)).build();
    }

    static MeterPrice price(long nanos, long per, long included, Long hardLimit) {
        return MeterPrice.newBuilder().setUnitPriceNanos(nanos).setPer(per).setIncluded(included).setHardLimit(hardLimit).build();
    }

    static Stream<SpecificRecord> everyRecordType() {
        Map<String, MeterPrice> meters = new HashMap<>();
        meters.put("requests", price(2_000_000L, 1, 1000, null));
        meters.put("output_tokens", price(1_500_000_000L, 1_000_000, 0, 5_000_000L));
        PlanDefined plan = PlanDefined.newBuilder().setPlan("pro").setCurrency("USD").setPeriod("month").setMeters(meters).build();
        ConsumerUpdated consumer = ConsumerUpdated.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active")
                .setBilling("postpaid").setSpendLimitMicros(500_000_000L).build();
        CreditsGranted credits = CreditsGranted.newBuilder().setConsumer("acme").setAmountMicros(25_000_000L)
                .setIdempotencyKey("topup-0001").setReason("card payment").build();
        Balance balance = Balance.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active").setBilling("prepaid")
                .setCurrency("USD").setPeriod("2026-11").setCreditsMicros(25_000_000L).setSpentMicros(1_200_000L)
                .setRemainingMicros(23_800_000L).setSpendLimitMicros(null).setUsage(Map.of("requests", 1600L))
                .setAmounts(Map.of("requests", 1_200_000L)).setMeters(meters).setVersion(17L)
                .setLastEventTime(T0).setUpdatedAt(T0.plusMillis(127)).build();
        UsageAggregate aggregate = UsageAggregate.newBuilder().setConsumer("acme").setMeter("requests")
                .setHourStart(Instant.parse("2026-11-21T10:00:00Z")).setUnits(1600L).setEvents(1600L)
                .setAmountMicros(1_200_000L).setCurrency("USD").setUpdatedAt(T0).build();
        DeadLetter deadLetter = DeadLetter.newBuilder().setTopic("gateway.kong.logs").setPartition(3).setOffset(42L)
                .setStage("ingest-parse").setReason("not JSON: unexpected character '<' at 0")
                .setKey(ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8)))
                .setValue(ByteBuffer.wrap(new byte[]{'<', 0, (byte) 0xff})).setTime(T0).build();
        DeadLetter httpDeadLetter = DeadLetter.newBuilder().setStage("ingest-validate").setReason("consumer is required")
                .setTime(T0).build();
        return Stream.of(usageEvent(), minimalUsageEvent(),
                AccountEvent.newBuilder().setEventId("a-1").setTime(T0).setPayload(plan).build(),
                AccountEvent.newBuilder().setEventId("a-2").setTime(T0).setPayload(consumer).build(),
                AccountEvent.newBuilder().setEventId("a-3").setTime(T0).setPayload(credits).build(),
                balance, aggregate, deadLetter, httpDeadLetter);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    @ParameterizedTest(name = "{0}")
    @MethodSource("everyRecordType")
    void roundTripsEveryRecordType(SpecificRecord record) {
        AvroSerde serde = AvroSerde.forValues(record.getClass(), new InMemorySchemaRegistry());

        byte[] bytes = serde.serialize(TOPIC, record);
        Object back = serde.deserialize(TOPIC, bytes);

        assertThat(back).isEqualTo(record).isNotSameAs(record);
    }

    @Test
    void accountEventPayloadComesBackAsItsOwnType() {
        AvroSerde<AccountEvent> serde = AvroSerde.forValues(AccountEvent.class, new InMemorySchemaRegistry());
        CreditsGranted credits = CreditsGranted.newBuilder().setConsumer("acme").setAmountMicros(1L)
                .setIdempotencyKey("k").build();

        AccountEvent back = serde.deserialize("billing.accounts",
                serde.serialize("billing.accounts", AccountEvent.newBuilder().setEventId("a").setTime(T0).setPayload(credits).build()));

        assertThat(back.getPayload()).isInstanceOf(CreditsGranted.class).isEqualTo(credits);
        assertThat(back.getTime()).isEqualTo(T0);
    }

    @Nested
    class WireFormat {
        @Test
        void isMagicZeroThenBigEndianIdThenAvroBinary() {
            AvroSerde<CreditsGranted> serde = AvroSerde.forValues(CreditsGranted.class,
                    new FixedIdRegistry(0x01020304, CreditsGranted.getClassSchema()));
            CreditsGranted credits = CreditsGranted.newBuilder().setConsumer("acme").setAmountMicros(25_000_000L)
                    .setIdempotencyKey("k1").setReason(null).build();

            byte[] bytes = serde.serialize("billing.accounts", credits);

            assertThat(bytes).containsExactly(
                    0x00,                               // magic
                    0x01, 0x02, 0x03, 0x04,             // schema id, big-endian
                    0x08, 'a', 'c', 'm', 'e',           // consumer: zig-zag length 4, UTF-8
                    0x80, 0xe1, 0xeb, 0x17,             // amountMicros 25000000: zig-zag varint
                    0x04, 'k', '1',                     // idempotencyKey
                    0x00);                              // reason: union branch 0 (null)
        }

        @Test
        void nonNullUnionBranchAndLargeIdBytes() {
            AvroSerde<CreditsGranted> serde = AvroSerde.forValues(CreditsGranted.class,
                    new FixedIdRegistry(0x7f00ff80, CreditsGranted.getClassSchema()));
            CreditsGranted credits = CreditsGranted.newBuilder().setConsumer("").setAmountMicros(-1L)
                    .setIdempotencyKey("").setReason("é").build();

            byte[] bytes = serde.serialize("t", credits);

            assertThat(bytes).containsExactly(0x00, 0x7f, 0x00, 0xff, 0x80,
                    0x00,                 // empty consumer
                    0x01,                 // -1 zig-zags to 1
                    0x00,                 // empty key
                    0x02, 0x04, 0xc3, 0xa9);  // union branch 1, then "é" as 2 UTF-8 bytes
        }

        @Test
        void matchesAvrosOwnEncoderAfterTheHeader() throws IOException {
            InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
            AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);
            UsageEvent event = usageEvent();

            byte[] bytes = serde.serialize(TOPIC, event);

            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(expected, null);
            new SpecificDatumWriter<UsageEvent>(UsageEvent.getClassSchema()).write(event, encoder);
            encoder.flush();
            assertThat(Arrays.copyOfRange(bytes, 0, 5)).containsExactly(0, 0, 0, 0, 1);
            assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(expected.toByteArray());
        }

        @Test
        void readsBytesWrittenByAnotherClientWithTheSameSchema() throws IOException {
            InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
            int id = registry.register(TOPIC + "-value", UsageEvent.getClassSchema());
            GenericRecord generic = new GenericData.Record(UsageEvent.getClassSchema());
            generic.put("id", "x-1");
            generic.put("source", "s");
            generic.put("consumer", "acme");
            generic.put("gateway", "apisix");
            generic.put("eventTime", T0.toEpochMilli());
            generic.put("ingestTime", T0.toEpochMilli());
            generic.put("meters", Map.of("requests", 3L));

            UsageEvent event = AvroSerde.forValues(UsageEvent.class, registry)
                    .deserialize(TOPIC, confluentBytes(id, UsageEvent.getClassSchema(), generic));

            assertThat(event.getId()).isEqualTo("x-1");
            assertThat(event.getGateway()).isEqualTo("apisix");
            assertThat(event.getEventTime()).isEqualTo(T0);
            assertThat(event.getMeters()).containsExactly(Map.entry("requests", 3L));
            assertThat(event.getApi()).isNull();
        }
    }

    @Nested
    class SchemaEvolution {
        /** UsageEvent as a first writer might have had it: no route, no LLM fields, no status. */
        private final Schema olderUsageEvent = new Schema.Parser().parse("""
                {"type": "record", "name": "UsageEvent", "namespace": "io.tollgate.avro", "fields": [
                  {"name": "id", "type": "string"},
                  {"name": "source", "type": "string"},
                  {"name": "consumer", "type": "string"},
                  {"name": "gateway", "type": "string"},
                  {"name": "api", "type": ["null", "string"], "default": null},
                  {"name": "method", "type": ["null", "string"], "default": null},
                  {"name": "path", "type": ["null", "string"], "default": null},
                  {"name": "eventTime", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                  {"name": "ingestTime", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                  {"name": "meters", "type": {"type": "map", "values": "long"}}
                ]}""");

        @Test
        void readsDataWrittenWithAnOlderWriterSchemaFetchedById() throws IOException {
            RecordingRegistry registry = new RecordingRegistry();
            int oldId = registry.delegate.register(TOPIC + "-value", olderUsageEvent);
            GenericRecord old = new GenericData.Record(olderUsageEvent);
            old.put("id", "old-1");
            old.put("source", "gw-eu-1");
            old.put("consumer", "acme");
            old.put("gateway", "kong");
            old.put("api", "orders");
            old.put("method", null);
            old.put("path", "/v1/orders");
            old.put("eventTime", T0.toEpochMilli());
            old.put("ingestTime", T0.toEpochMilli() + 5);
            old.put("meters", Map.of("requests", 1L, "bytes_out", 512L));
            AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);

            UsageEvent event = serde.deserialize(TOPIC, confluentBytes(oldId, olderUsageEvent, old));
            UsageEvent again = serde.deserialize(TOPIC, confluentBytes(oldId, olderUsageEvent, old));

            assertThat(event).isEqualTo(again).isEqualTo(UsageEvent.newBuilder()
                    .setId("old-1").setSource("gw-eu-1").setConsumer("acme").setGateway("kong")
                    .setApi("orders").setPath("/v1/orders").setEventTime(T0).setIngestTime(T0.plusMillis(5))
                    .setMeters(Map.of("requests", 1L, "bytes_out", 512L)).build());
            assertThat(event.getRoute()).isNull();
            assertThat(event.getStatus()).isNull();
            assertThat(event.getLlmModel()).isNull();
            assertThat((Object) event.getConsumer()).as("strings read as java.lang.String, not Utf8").isInstanceOf(String.class);
            assertThat(event.getMeters().keySet()).allSatisfy(k -> assertThat((Object) k).isInstanceOf(String.class));
            assertThat(registry.calls).as("the writer schema is fetched once and cached").containsExactly("schemaById " + oldId);
        }

        @Test
        void ignoresFieldsANewerWriterAdded() throws IOException {
            Schema newer = new Schema.Parser().parse(UsageEvent.getClassSchema().toString()
                    .replace("{\"name\":\"id\",", "{\"name\":\"region\",\"type\":\"string\",\"default\":\"eu\"},{\"name\":\"id\","));
            assertThat(newer.getField("region")).isNotNull();
            InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
            int id = registry.register(TOPIC + "-value", newer);
            GenericRecord record = new GenericData.Record(newer);
            record.put("region", "us");
            record.put("id", "n-1");
            record.put("source", "s");
            record.put("consumer", "acme");
            record.put("gateway", "canonical");
            record.put("eventTime", T0.toEpochMilli());
            record.put("ingestTime", T0.toEpochMilli());
            record.put("meters", Map.of());

            UsageEvent event = AvroSerde.forValues(UsageEvent.class, registry).deserialize(TOPIC, confluentBytes(id, newer, record));

            assertThat(event.getId()).isEqualTo("n-1");
            assertThat(event.getMeters()).isEmpty();
        }

        @Test
        void writerWithoutAFieldTheReaderRequiresIsAClearError() throws IOException {
            Schema withoutConsumer = new Schema.Parser().parse("""
                    {"type": "record", "name": "UsageEvent", "namespace": "io.tollgate.avro", "fields": [
                      {"name": "id", "type": "string"}]}""");
            InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
            int id = registry.register(TOPIC + "-value", withoutConsumer);
            GenericRecord record = new GenericData.Record(withoutConsumer);
            record.put("id", "x");

            assertThatThrownBy(() -> AvroSerde.forValues(UsageEvent.class, registry)
                    .deserialize(TOPIC, confluentBytes(id, withoutConsumer, record)))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("cannot decode UsageEvent (schema id " + id + ") on topic usage.events");
        }
    }

    @Nested
    class Nulls {
        @Test
        void nullRecordIsATombstoneBothWays() {
            RecordingRegistry registry = new RecordingRegistry();
            AvroSerde<Balance> serde = AvroSerde.forValues(Balance.class, registry);

            assertThat(serde.serialize("billing.balances", null)).isNull();
            assertThat(serde.deserialize("billing.balances", null)).isNull();
            assertThat(registry.calls).isEmpty();
        }

        @Test
        void nullInARequiredFieldIsASerializationExceptionNamingTheType() {
            AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, new InMemorySchemaRegistry());
            UsageEvent broken = usageEvent();
            broken.setConsumer(null);

            assertThatThrownBy(() -> serde.serialize(TOPIC, broken))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("cannot encode UsageEvent for topic usage.events")
                    .hasMessageContaining("consumer");
        }

        @Test
        void unconfiguredSerdeSaysWhatIsMissing() {
            AvroSerde<UsageEvent> serde = new AvroSerde<>(UsageEvent.class);

            assertThatThrownBy(() -> serde.serialize(TOPIC, usageEvent()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("AvroSerde for UsageEvent is not configured: set schema.registry.url");
        }
    }

    @Nested
    class BadInput {
        private final AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, new InMemorySchemaRegistry());

        @Test
        void wrongMagicByte() {
            assertThatThrownBy(() -> serde.deserialize(TOPIC, new byte[]{1, 0, 0, 0, 1, 2, 3}))
                    .isInstanceOf(SerializationException.class)
                    .hasMessage("not Confluent wire format (magic byte 0 and a 4-byte schema id) on topic usage.events");
        }

        @Test
        void plainJsonIsNotMistakenForAvro() {
            byte[] json = "{\"id\":\"1\"}".getBytes(StandardCharsets.UTF_8);

            assertThatThrownBy(() -> serde.deserialize(TOPIC, json))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("not Confluent wire format");
        }

        @Test
        void inputShorterThanTheHeader() {
            assertThatThrownBy(() -> serde.deserialize(TOPIC, new byte[]{0, 0, 0, 1}))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("not Confluent wire format");
            assertThatThrownBy(() -> serde.deserialize(TOPIC, new byte[0]))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("not Confluent wire format");
        }

        @Test
        void unknownSchemaId() {
            assertThatThrownBy(() -> serde.deserialize(TOPIC, new byte[]{0, 0, 0, 0, 77, 2, 'x'}))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("cannot fetch schema id 77: ")
                    .hasRootCauseInstanceOf(SchemaRegistryException.NotFound.class);
        }

        @Test
        void failedSchemaFetchIsNotCachedSoALaterRecordSucceeds() {
            InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
            AvroSerde<UsageEvent> reader = AvroSerde.forValues(UsageEvent.class, registry);
            byte[] bytes = AvroSerde.forValues(UsageEvent.class, new FixedIdRegistry(1, UsageEvent.getClassSchema()))
                    .serialize(TOPIC, usageEvent());

            assertThatThrownBy(() -> reader.deserialize(TOPIC, bytes)).isInstanceOf(SerializationException.class);
            registry.register(TOPIC + "-value", UsageEvent.getClassSchema());

            assertThat(reader.deserialize(TOPIC, bytes)).isEqualTo(usageEvent());
        }

        @Test
        void truncatedAvroBody() {
            byte[] bytes = serde.serialize(TOPIC, usageEvent());

            assertThatThrownBy(() -> serde.deserialize(TOPIC, Arrays.copyOf(bytes, bytes.length - 4)))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("cannot decode UsageEvent (schema id 1) on topic usage.events");
        }
    }

    @Nested
    class SubjectsAndRegistration {
        @Test
        void valueSubjectIsTopicDashValue() {
            RecordingRegistry registry = new RecordingRegistry();
            AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);

            serde.serialize("usage.events", usageEvent());

            assertThat(serde.subject("usage.events")).isEqualTo("usage.events-value");
            assertThat(registry.calls).containsExactly("register usage.events-value");
        }

        @Test
        void keySubjectIsTopicDashKeyWhenConfiguredAsKey() {
            RecordingRegistry registry = new RecordingRegistry();
            AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);
            Serializer<UsageEvent> serializer = serde.serializer();
            serializer.configure(Map.of(), true);

            serializer.serialize("usage.events", usageEvent());

            assertThat(serde.subject("usage.events")).isEqualTo("usage.events-key");
            assertThat(registry.calls).containsExactly("register usage.events-key");
        }

        @Test
        void autoRegisterFalseLooksTheSchemaUpInstead() {
            RecordingRegistry registry = new RecordingRegistry();
            registry.delegate.register("usage.events-value", UsageEvent.getClassSchema());
            AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);
            serde.configure(Map.of(AvroSerde.AUTO_REGISTER, "false"), false);

            byte[] bytes = serde.serialize("usage.events", usageEvent());

            assertThat(registry.calls).containsExactly("lookup usage.events-value");
            assertThat(Arrays.copyOfRange(bytes, 0, 5)).containsExactly(0, 0, 0, 0, 1);
        }

        @Test
        void autoRegisterFalseWithAnUnknownSchemaNamesTheSubject() {
            AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, new InMemorySchemaRegistry());
            serde.configure(Map.of(AvroSerde.AUTO_REGISTER, false), false);

            assertThatThrownBy(() -> serde.serialize("usage.events", usageEvent()))
                    .isInstanceOf(SerializationException.class)
                    .hasMessageStartingWith("cannot get a schema id for subject usage.events-value: ")
                    .hasCauseInstanceOf(SchemaRegistryException.NotFound.class);
        }

        @Test
        void configuredFromKafkaPropertiesTalksToTheRegistryOverHttp() {
            try (FakeRegistryServer registry = FakeRegistryServer.start()) {
                registry.answer("POST", "/subjects/orders-key", 200, "{\"subject\":\"orders-key\",\"id\":300,\"version\":1}")
                        .answer("POST", "/subjects/orders-value/versions", 200, "{\"id\":301}");
                AvroSerde<UsageEvent> keys = new AvroSerde<>(UsageEvent.class);
                keys.serializer().configure(Map.of(RegistryConfig.URL, registry.url(), AvroSerde.AUTO_REGISTER, "false"), true);
                AvroSerde<UsageEvent> values = new AvroSerde<>(UsageEvent.class);
                values.serializer().configure(Map.of(RegistryConfig.URL, registry.url()), false);

                byte[] key = keys.serialize("orders", usageEvent());
                byte[] value = values.serialize("orders", usageEvent());

                assertThat(Arrays.copyOfRange(key, 0, 5)).containsExactly(0, 0, 0, 0x01, 0x2c);
                assertThat(Arrays.copyOfRange(value, 0, 5)).containsExactly(0, 0, 0, 0x01, 0x2d);
                assertThat(registry.requests()).extracting(FakeRegistryServer.Request::rawPath)
                        .containsExactly("/subjects/orders-key", "/subjects/orders-value/versions");
            }
        }

        @Test
        void forValuesWithAUrlFetchesTheWriterSchemaOverHttp() {
            try (FakeRegistryServer registry = FakeRegistryServer.start()) {
                registry.answer("GET", "/schemas/ids/5", 200,
                        "{\"schema\":" + TextNode.valueOf(UsageEvent.getClassSchema().toString()) + "}");
                byte[] bytes = AvroSerde.forValues(UsageEvent.class, new FixedIdRegistry(5, UsageEvent.getClassSchema()))
                        .serialize(TOPIC, usageEvent());
                Deserializer<UsageEvent> deserializer = AvroSerde.forValues(UsageEvent.class, registry.url()).deserializer();

                assertThat(deserializer.deserialize(TOPIC, bytes)).isEqualTo(usageEvent());
                assertThat(deserializer.deserialize(TOPIC, bytes)).isEqualTo(usageEvent());
                assertThat(registry.requests()).hasSize(1);
            }
        }
    }

    @Test
    void oneSerdeIsSafeToShareBetweenThreadsAndFetchesEachWriterSchemaOnce() throws Exception {
        RecordingRegistry registry = new RecordingRegistry();
        AvroSerde<UsageEvent> serde = AvroSerde.forValues(UsageEvent.class, registry);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<UsageEvent>>> results = new ArrayList<>();
            for (int thread = 0; thread < 8; thread++) {
                int t = thread;
                results.add(pool.submit(() -> {
                    List<UsageEvent> read = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        UsageEvent event = usageEvent();
                        event.setId(t + "-" + i);
                        read.add(serde.deserialize(TOPIC, serde.serialize(TOPIC, event)));
                    }
                    return read;
                }));
            }
            for (int thread = 0; thread < 8; thread++) {
                List<UsageEvent> read = results.get(thread).get(30, TimeUnit.SECONDS);
                assertThat(read).hasSize(200);
                for (int i = 0; i < 200; i++) {
                    assertThat(read.get(i).getId()).isEqualTo(thread + "-" + i);
                    assertThat(read.get(i).getMeters()).isEqualTo(usageEvent().getMeters());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        synchronized (registry) {
            assertThat(registry.calls).filteredOn(c -> c.startsWith("schemaById")).containsExactly("schemaById 1");
        }
    }

    private static byte[] confluentBytes(int id, Schema writer, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(writer).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
