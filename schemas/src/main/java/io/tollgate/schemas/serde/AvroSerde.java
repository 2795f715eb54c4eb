package io.tollgate.schemas.serde;

import io.tollgate.schemas.registry.RegistryConfig;
import io.tollgate.schemas.registry.SchemaRegistry;
import io.tollgate.schemas.registry.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
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
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kafka serde for Tollgate's generated Avro classes in the Confluent wire format: byte 0, the schema's
 * 4-byte big-endian registry id, then Avro binary. Subjects follow TopicNameStrategy
 * ({@code <topic>-value} / {@code <topic>-key}). Any Confluent client reads what this writes, and this
 * reads what they write (resolving the writer's schema to this class's schema).
 *
 * <p>Configuration: {@code schema.registry.url} (required), {@code auto.register.schemas} (default true),
 * {@code basic.auth.user.info}, {@code bearer.auth.token}. Instances are not shared between unrelated
 * clients; each keeps its own registry client and caches.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
    public static final String AUTO_REGISTER = "auto.register.schemas";
    static final byte MAGIC = 0;

    private final Class<T> type;
    private final Schema readerSchema;
    private final SpecificDatumWriter<T> writer;
    private SchemaRegistry client;
    private boolean isKey;
    private boolean autoRegister = true;
    private final Map<Integer, DatumReader<T>> readers = new ConcurrentHashMap<>();

    public AvroSerde(Class<T> type) {
        this.type = type;
        this.readerSchema = SpecificData.get().getSchema(type);
        this.writer = new SpecificDatumWriter<>(readerSchema);
    }

    /** A ready-to-use value serde bound to {@code client}. */
    public static <T extends SpecificRecord> AvroSerde<T> forValues(Class<T> type, SchemaRegistry client) {
        AvroSerde<T> serde = new AvroSerde<>(type);
        serde.client = client;
        return serde;
    }

    /** A ready-to-use value serde for the registry at {@code url}. */
    public static <T extends SpecificRecord> AvroSerde<T> forValues(Class<T> type, String url) {
        Map<String, Object> configs = new HashMap<>();
        configs.put(RegistryConfig.URL, url);
        AvroSerde<T> serde = new AvroSerde<>(type);
        serde.configure(configs, false);
        return serde;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        Object auto = configs.get(AUTO_REGISTER);
        this.autoRegister = auto == null || Boolean.parseBoolean(auto.toString());
        if (client == null || configs.containsKey(RegistryConfig.URL)) {
            this.client = new SchemaRegistryClient(RegistryConfig.from(configs));
        }
    }

    public Schema schema() {
        return readerSchema;
    }

    public String subject(String topic) {
        return topic + (isKey ? "-key" : "-value");
    }

    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        requireClient();
        Schema schema = readerSchema;
        int id;
        try {
            id = autoRegister ? client.register(subject(topic), schema) : client.lookup(subject(topic), schema);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot get a schema id for subject " + subject(topic) + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode " + type.getSimpleName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        requireClient();
        if (data.length < 5 || data[0] != MAGIC) {
            throw new SerializationException("not Confluent wire format (magic byte 0 and a 4-byte schema id) on topic " + topic);
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        DatumReader<T> reader = readers.computeIfAbsent(id, this::readerFor);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot decode " + type.getSimpleName() + " (schema id " + id + ") on topic " + topic + ": " + e.getMessage(), e);
        }
    }

    private DatumReader<T> readerFor(int id) {
        Schema writer;
        try {
            writer = client.schemaById(id);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot fetch schema id " + id + ": " + e.getMessage(), e);
        }
        return new SpecificDatumReader<>(writer, readerSchema);
    }

    private void requireClient() {
        if (client == null) {
            throw new IllegalStateException("AvroSerde for " + type.getSimpleName() + " is not configured: set " + RegistryConfig.URL);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return new Serializer<>() {
            @Override
            public void configure(Map<String, ?> configs, boolean key) {
                AvroSerde.this.configure(configs, key);
            }

            @Override
            public byte[] serialize(String topic, T data) {
                return AvroSerde.this.serialize(topic, data);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return new Deserializer<>() {
            @Override
            public void configure(Map<String, ?> configs, boolean key) {
                AvroSerde.this.configure(configs, key);
            }

            @Override
            public T deserialize(String topic, byte[] data) {
                return AvroSerde.this.deserialize(topic, data);
            }
        };
    }
}
