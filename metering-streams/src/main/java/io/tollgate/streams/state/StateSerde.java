package io.tollgate.streams.state;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Plain Avro binary (no registry id) for state stores and their changelogs, which only this application
 * reads. A change to a stored record's schema therefore needs a new store name; the topology test
 * ({@code topology.txt}) makes such a rename explicit.
 */
public final class StateSerde<T extends SpecificRecord> implements Serde<T> {
    private final Class<T> type;
    private final SpecificDatumWriter<T> writer;
    private final SpecificDatumReader<T> reader;

    public StateSerde(Class<T> type) {
        this.type = type;
        Schema schema = SpecificData.get().getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema);
        this.reader = new SpecificDatumReader<>(schema);
    }

    public byte[] encode(T value) {
        if (value == null) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(value, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new SerializationException("cannot encode " + type.getSimpleName(), e);
        }
        return out.toByteArray();
    }

    public T decode(byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(data, null));
        } catch (IOException e) {
            throw new SerializationException("cannot decode " + type.getSimpleName(), e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> encode(value);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> decode(data);
    }
}
