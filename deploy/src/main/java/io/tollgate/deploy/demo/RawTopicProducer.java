package io.tollgate.deploy.demo;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Writes gateway log JSON to the raw topics the way Kong kafka-log and APISIX kafka-logger do: plain bytes. */
final class RawTopicProducer implements AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final List<Future<RecordMetadata>> pending = new ArrayList<>();

    RawTopicProducer(String bootstrapServers) {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, "tollgate-demo-gateways",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000),
                new StringSerializer(), new ByteArraySerializer());
    }

    void send(String topic, String key, byte[] value) {
        pending.add(producer.send(new ProducerRecord<>(topic, key, value)));
    }

    /** Waits until the broker acknowledged every record sent so far. */
    void flush() {
        producer.flush();
        try {
            for (Future<RecordMetadata> ack : pending) {
                ack.get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new DemoFailure("the broker did not acknowledge a gateway record: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoFailure("interrupted while producing gateway records", e);
        } finally {
            pending.clear();
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
