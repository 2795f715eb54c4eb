package io.tollgate.deploy;

import io.tollgate.avro.UsageEvent;
import io.tollgate.localstack.Ports;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code ./tollgate up --infra-only} as a class: topics, a kafkasql registry, a clean stop, and data that survives it. */
@Tag("integration")
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class LocalStackIT {

    @Test
    void infraOnlyCreatesTheContractTopicsStopsFreeingEveryPortAndKeepsMessagesSchemasAndTokenAcrossARestart(@TempDir Path repo) throws Exception {
        LocalStack.Options options = new LocalStack.Options(repo).onFreePorts().infraOnly(true).dataDir(repo.resolve("data"));
        UsageEvent sent = UsageEvent.newBuilder().setId("evt-kept").setSource("gw-eu-1").setConsumer("acme").setGateway("canonical")
                .setEventTime(Instant.parse("2026-11-21T10:00:00.123Z")).setIngestTime(Instant.parse("2026-11-21T10:00:00.200Z"))
                .setMeters(Map.of("requests", 1L, "output_tokens", 310L)).build();
        String token;
        List<Integer> ports;

        try (LocalStack stack = LocalStack.start(options)) {
            token = stack.adminToken();
            ports = stack.ports();
            assertThat(ports).hasSize(3).allSatisfy(port -> assertThat(Ports.isListening(port)).as("port %d", port).isTrue());
            assertThat(stack.services()).isEmpty();
            assertContractTopics(stack.bootstrapServers());
            assertThat(get(stack.schemaRegistryUrl() + "/subjects")).isEqualTo("[]");

            try (KafkaProducer<String, UsageEvent> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                    new StringSerializer(), AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).serializer())) {
                producer.send(new ProducerRecord<>(Topics.USAGE_EVENTS.name(), "acme", sent)).get(30, TimeUnit.SECONDS);
            }
        }

        assertThat(ports).allSatisfy(port -> assertThat(Ports.isFree(port)).as("port %d after close", port).isTrue());

        try (LocalStack again = LocalStack.start(options)) {
            assertThat(again.adminToken()).isEqualTo(token);
            assertThat(again.ports()).isEqualTo(ports);
            assertThat(get(again.schemaRegistryUrl() + "/subjects")).isEqualTo("[\"usage.events-value\"]");
            assertThat(readAll(again, 1)).containsExactly(sent);
        }
        assertThat(ports).allSatisfy(port -> assertThat(Ports.isFree(port)).isTrue());
    }

    private static void assertContractTopics(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<String> names = Topics.ALL.stream().map(TopicSpec::name).toList();
            Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
            assertThat(described.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().partitions().size())))
                    .isEqualTo(Topics.ALL.stream().collect(Collectors.toMap(TopicSpec::name, TopicSpec::partitions)));
        }
    }

    private static List<UsageEvent> readAll(LocalStack stack, int expected) {
        List<UsageEvent> records = new ArrayList<>();
        try (KafkaConsumer<String, UsageEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "local-stack-it-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl()).deserializer())) {
            consumer.subscribe(List.of(Topics.USAGE_EVENTS.name()));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> records.add(r.value()));
                return records.size() >= expected;
            });
        }
        return records;
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
