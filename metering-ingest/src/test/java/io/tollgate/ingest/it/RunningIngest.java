package io.tollgate.ingest.it;

import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestConfig;
import io.tollgate.ingest.IngestService;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.awaitility.Awaitility.await;

/** metering-ingest running in the test JVM against the test stack, on topics and an application id of its own. */
final class RunningIngest implements AutoCloseable {
    final KafkaStack stack;
    final String usageTopic;
    final String dlqTopic;
    final String kongTopic;
    final String apisixTopic;
    final String cloudEventsTopic;
    final String apiparkTopic;
    final String awsTopic;
    final IngestService service;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    RunningIngest(KafkaStack stack, Map<String, Object> extra) throws Exception {
        this.stack = stack;
        usageTopic = stack.unique("usage.events");
        dlqTopic = stack.unique("usage.events.dlq");
        kongTopic = stack.unique("gateway.kong.logs");
        apisixTopic = stack.unique("gateway.apisix.logs");
        cloudEventsTopic = stack.unique("gateway.cloudevents");
        apiparkTopic = stack.unique("gateway.apipark.logs");
        awsTopic = stack.unique("gateway.aws.logs");
        stack.createTopic(Topics.USAGE_EVENTS.withName(usageTopic));
        stack.createTopic(Topics.USAGE_EVENTS_DLQ.withName(dlqTopic));
        stack.createTopic(Topics.KONG_LOGS.withName(kongTopic));
        stack.createTopic(Topics.APISIX_LOGS.withName(apisixTopic));
        stack.createTopic(Topics.CLOUDEVENTS.withName(cloudEventsTopic));
        stack.createTopic(Topics.APIPARK_LOGS.withName(apiparkTopic));
        stack.createTopic(Topics.AWS_LOGS.withName(awsTopic));
        Map<String, Object> settings = new HashMap<>();
        settings.put(EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(IngestConfig.PORT, 0);
        settings.put(IngestConfig.USAGE_TOPIC, usageTopic);
        settings.put(IngestConfig.DLQ_TOPIC, dlqTopic);
        settings.put(IngestConfig.KONG_TOPIC, kongTopic);
        settings.put(IngestConfig.APISIX_TOPIC, apisixTopic);
        settings.put(IngestConfig.CLOUDEVENTS_TOPIC, cloudEventsTopic);
        settings.put(IngestConfig.APIPARK_TOPIC, apiparkTopic);
        settings.put(IngestConfig.AWS_TOPIC, awsTopic);
        settings.put(IngestConfig.RAW_APPLICATION_ID, stack.unique("tollgate-ingest-raw"));
        settings.put(IngestConfig.RAW_STATE_DIR, Files.createTempDirectory("tollgate-ingest-it").toString());
        settings.putAll(extra);
        service = IngestService.start(new IngestConfig(settings), Map.of());
        await().atMost(Duration.ofSeconds(90)).until(service::ready);
    }

    HttpResponse<String> post(String path, String contentType, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .header("Content-Type", contentType).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    void produceRaw(String topic, byte[] key, String value) {
        Map<String, Object> props = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8)));
            producer.flush();
        }
    }

    /** The usage events whose consumer starts with {@code consumerPrefix}, once at least {@code expected} are there. */
    List<ConsumerRecord<String, UsageEvent>> usageEvents(String consumerPrefix, int expected) {
        return readCommitted(usageTopic, new StringDeserializer(),
                AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).deserializer(),
                r -> r.key().startsWith(consumerPrefix), expected);
    }

    List<ConsumerRecord<byte[], DeadLetter>> deadLetters(int expected) {
        return readCommitted(dlqTopic, new ByteArrayDeserializer(),
                AvroSerde.forValues(DeadLetter.class, stack.schemaRegistryUrl()).deserializer(), r -> true, expected);
    }

    /** The wanted committed records of {@code topic}, from the start, once at least {@code expected} are there. */
    private <K, V> List<ConsumerRecord<K, V>> readCommitted(String topic, Deserializer<K> keys, Deserializer<V> values,
                                                            Predicate<ConsumerRecord<K, V>> wanted, int expected) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(props, keys, values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map((PartitionInfo p) -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (wanted.test(r)) {
                        records.add(r);
                    }
                });
                return records.size() >= expected;
            });
            // Anything beyond what was expected would be a duplicate: read a little longer to see it.
            for (int i = 0; i < 3; i++) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (wanted.test(r)) {
                        records.add(r);
                    }
                });
            }
        }
        return records;
    }

    @Override
    public void close() {
        service.close();
    }
}
