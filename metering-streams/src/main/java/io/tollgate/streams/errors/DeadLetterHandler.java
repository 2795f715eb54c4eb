package io.tollgate.streams.errors;

import io.tollgate.avro.DeadLetter;
import io.tollgate.runtime.LogSafe;
import io.tollgate.schemas.registry.SchemaRegistry;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Routes a record that cannot be deserialized or processed to {@code usage.events.dlq} and goes on. The
 * dead letter is returned to Kafka Streams (KIP-1034), which sends it through the task's producer, inside
 * the same transaction as the input offsets it skips.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler {
    /** The dead-letter topic (same setting name as in MeteringConfig). */
    public static final String DLQ_TOPIC = "tollgate.topic.usage.events.dlq";
    /** A {@link SchemaRegistry} object passed through the Streams properties, for tests without a registry. */
    public static final String REGISTRY_INSTANCE = "tollgate.internal.schema.registry.instance";
    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);

    private String topic = Topics.USAGE_EVENTS_DLQ.name();
    private AvroSerde<DeadLetter> serde;

    @Override
    public void configure(Map<String, ?> configs) {
        Object name = configs.get(DLQ_TOPIC);
        if (name != null) {
            topic = name.toString();
        }
        Object registry = configs.get(REGISTRY_INSTANCE);
        if (registry instanceof SchemaRegistry instance) {
            serde = AvroSerde.forValues(DeadLetter.class, instance);
        } else {
            serde = AvroSerde.forValues(DeadLetter.class, String.valueOf(configs.get("schema.registry.url")));
        }
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                                                Exception exception) {
        log.warn("dead letter: cannot deserialize {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                LogSafe.quote(exception.toString()));
        return DeserializationExceptionHandler.Response.resume(List.of(deadLetter(record.topic(), record.partition(), record.offset(),
                DeadLetters.STAGE_DESERIALIZE, exception, record.key(), record.value(), record.timestamp())));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        log.warn("dead letter: processing {}-{}@{} failed in {}: {}", context.topic(), context.partition(), context.offset(),
                context.processorNodeId(), LogSafe.quote(exception.toString()));
        return ProcessingExceptionHandler.Response.resume(List.of(deadLetter(context.topic(), context.partition(), context.offset(),
                DeadLetters.STAGE_PROCESS, exception, context.sourceRawKey(), context.sourceRawValue(), context.timestamp())));
    }

    private ProducerRecord<byte[], byte[]> deadLetter(String source, int partition, long offset, String stage, Exception cause,
                                                      byte[] key, byte[] value, long timestamp) {
        String reason = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        DeadLetter letter = DeadLetters.of(source, partition, offset, stage, reason, key, value, timestamp);
        return new ProducerRecord<>(topic, null, timestamp, key, serde.serialize(topic, letter));
    }
}
