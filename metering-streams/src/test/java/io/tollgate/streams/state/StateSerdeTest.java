package io.tollgate.streams.state;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateSerdeTest {
    private final StateSerde<ConsumerLedger> serde = new StateSerde<>(ConsumerLedger.class);
    private final Schema v1 = StateSerde.history(ConsumerLedger.class).get(0);

    private static ConsumerLedger ledger(long eventsCounted) {
        Map<String, PeriodUsage> periods = new HashMap<>();
        periods.put("2026-11", new PeriodUsage(1_793_491_200_000L, new HashMap<>(Map.of("requests", 7L)),
                new HashMap<>(Map.of("requests", 14_000L)), new HashMap<>(Map.of("requests", 1_793_527_200_000L))));
        return ConsumerLedger.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active").setBilling("prepaid")
                .setSpendLimitMicros(null).setGrantedMicros(25_000_000L).setChargedMicros(14_000L).setPeriodKind("month")
                .setCurrentPeriod("2026-11").setPeriods(periods).setKnownMeters(new ArrayList<>(List.of("requests")))
                .setVersion(9).setLastEventTime(1_793_527_200_123L).setUpdatedAt(1_793_527_201_000L).setEventsCounted(eventsCounted)
                .build();
    }

    /** The bytes the previous release wrote: the same fields, encoded with the v1 schema. */
    private byte[] writtenWithV1(ConsumerLedger ledger) throws IOException {
        GenericRecord asV1 = toGeneric(ledger, v1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(v1).write(asV1, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static GenericRecord toGeneric(ConsumerLedger ledger, Schema schema) {
        GenericData.Record record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            record.put(field.name(), ledger.get(field.name()));
        }
        return record;
    }

    @Test
    void aLedgerWrittenBeforeEventsCountedExistedReadsWithEveryFieldAndACountOfZero() throws IOException {
        byte[] old = writtenWithV1(ledger(0));

        ConsumerLedger read = serde.decode(old);

        assertThat(read).isEqualTo(ledger(0));
        assertThat(read.getEventsCounted()).isZero();
        assertThat(read.getPeriods().get("2026-11").getUnits()).containsExactly(Map.entry("requests", 7L));
    }

    @Test
    void theCurrentVersionRoundTripsItsCount() {
        assertThat(serde.decode(serde.encode(ledger(41)))).isEqualTo(ledger(41));
    }

    @Test
    void thePreviousReleaseReadsTheCurrentBytesLeavingTheAppendedFieldUnread() throws IOException {
        byte[] current = serde.encode(ledger(41));

        GenericRecord asThePreviousReleaseReadsIt = new GenericDatumReader<GenericRecord>(v1)
                .read(null, DecoderFactory.get().binaryDecoder(current, null));

        assertThat(asThePreviousReleaseReadsIt.get("version")).isEqualTo(9L);
        assertThat(asThePreviousReleaseReadsIt.get("updatedAt")).isEqualTo(1_793_527_201_000L);
        assertThat(asThePreviousReleaseReadsIt.get("grantedMicros")).isEqualTo(25_000_000L);
    }

    @Test
    void everyRecordedVersionIsAPrefixOfTheCurrentSchemaThatItCanRead() {
        Schema current = SpecificData.get().getSchema(ConsumerLedger.class);
        List<Schema> history = StateSerde.history(ConsumerLedger.class);

        assertThat(history).isNotEmpty();
        for (Schema version : history) {
            List<Schema.Field> fields = version.getFields();
            assertThat(fields.size()).isLessThan(current.getFields().size());
            for (int i = 0; i < fields.size(); i++) {
                assertThat(current.getFields().get(i).name()).isEqualTo(fields.get(i).name());
                assertThat(withoutJavaStringHints(current.getFields().get(i).schema())).isEqualTo(fields.get(i).schema());
            }
            for (Schema.Field appended : current.getFields().subList(fields.size(), current.getFields().size())) {
                assertThat(appended.hasDefaultValue()).as("appended field %s has a default", appended.name()).isTrue();
            }
            assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, version).getType())
                    .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void bytesOfNoKnownVersionFailNamingTheRecord() {
        assertThatThrownBy(() -> serde.decode(new byte[] {2, 'a'}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("ConsumerLedger");
    }

    private static Schema withoutJavaStringHints(Schema schema) {
        return new Schema.Parser().parse(schema.toString().replace(",\"avro.java.string\":\"String\"", ""));
    }
}
