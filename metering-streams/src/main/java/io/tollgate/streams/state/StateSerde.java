package io.tollgate.streams.state;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
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
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain Avro binary (no registry id, no schema fingerprint) for state stores and their changelogs, which only this
 * application reads.
 *
 * <p>A stored record evolves only by <b>appending fields with a default</b>, and each earlier version is recorded under
 * {@code /state-history/<Record>/v<N>.avsc} on the classpath (nested records inlined). Avro binary is the fields in
 * order, so bytes of an earlier version are a strict prefix-shaped encoding: read with the current schema they run out
 * of bytes, and the serde then reads them as the newest earlier version that consumes them exactly, filling the
 * appended fields with their defaults. Bytes of the current version read by an earlier release decode its fields and
 * leave the appended ones unread, so a rolling upgrade or a downgrade works both ways. Any other change (a field
 * removed, reordered or retyped, a change inside a nested record) still needs a new store name; the topology test
 * ({@code topology.txt}) makes such a rename explicit, and {@code StateSerdeTest} checks that every recorded version is
 * a prefix of the current schema.
 */
public final class StateSerde<T extends SpecificRecord> implements Serde<T> {
    private final Class<T> type;
    private final SpecificDatumWriter<T> writer;
    private final SpecificDatumReader<T> reader;
    /** Readers of the recorded earlier versions into the current schema, newest first. */
    private final List<SpecificDatumReader<T>> earlier = new ArrayList<>();

    public StateSerde(Class<T> type) {
        this.type = type;
        Schema schema = SpecificData.get().getSchema(type);
        this.writer = new SpecificDatumWriter<>(schema);
        this.reader = new SpecificDatumReader<>(schema);
        List<Schema> history = history(type);
        for (int i = history.size() - 1; i >= 0; i--) {
            earlier.add(new SpecificDatumReader<>(history.get(i), schema));
        }
    }

    /** The recorded versions of {@code type}'s schema, oldest first; empty when it never changed. */
    public static List<Schema> history(Class<? extends SpecificRecord> type) {
        List<Schema> versions = new ArrayList<>();
        for (int version = 1; ; version++) {
            String resource = "/state-history/" + type.getSimpleName() + "/v" + version + ".avsc";
            try (InputStream in = StateSerde.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return versions;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + resource, e);
            }
        }
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
        IOException current;
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, null);
            T value = reader.read(null, decoder);
            if (earlier.isEmpty() || decoder.isEnd()) {
                return value;
            }
            current = new IOException(data.length + " bytes left unread");
        } catch (IOException | RuntimeException e) {
            current = e instanceof IOException io ? io : new IOException(e);
        }
        for (SpecificDatumReader<T> older : earlier) {
            try {
                BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, null);
                T value = older.read(null, decoder);
                if (decoder.isEnd()) {
                    return value;
                }
            } catch (IOException | RuntimeException e) {
                // not this version either: try the one before
            }
        }
        throw new SerializationException("cannot decode " + type.getSimpleName() + " with its current schema or any recorded earlier one",
                current);
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
