package io.tollgate.localstack;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link KafkaBroker} itself (not through the extension, so this runs the same against any test stack). */
@Tag("integration")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class KafkaBrokerIT {
    @TempDir
    static Path dataDir;
    static KafkaBroker broker;

    @BeforeAll
    static void start() {
        broker = new KafkaBroker(KafkaBroker.Settings.onFreePorts(dataDir));
        broker.start();
    }

    @AfterAll
    static void stop() {
        broker.stop();
    }

    @Test
    void aCleanStopAndAStartOnTheSamePortKeepAnAcknowledgedMessageAndFreeThePortsInBetween() throws Exception {
        String topic = "broker.restart";
        createTopic(topic, 3);
        RecordMetadata written = produce(topic, "acme", "kept across a clean restart");

        broker.stop();
        assertThat(broker.isRunning()).isFalse();
        assertThat(Ports.isFree(broker.settings().port())).isTrue();
        assertThat(Ports.isFree(broker.settings().controllerPort())).isTrue();
        broker.start();

        assertThat(readAll(topic, 1)).singleElement().satisfies(record -> {
            assertThat(record.key()).isEqualTo("acme");
            assertThat(record.value()).isEqualTo("kept across a clean restart");
            assertThat(record.partition()).isEqualTo(written.partition());
            assertThat(record.offset()).isEqualTo(written.offset());
        });
    }

    @Test
    void aKilledBrokerRecoversItsLogOnTheNextStart() throws Exception {
        String topic = "broker.crash";
        createTopic(topic, 1);
        produce(topic, "acme", "first");
        produce(topic, "acme", "second");

        broker.kill();
        broker.start();

        assertThat(readAll(topic, 2)).extracting(ConsumerRecord::value).containsExactly("first", "second");
    }

    @Test
    void itsOutputGoesToALogFileUnderTheDataDirectoryAndTheLogDirectoryIsFormattedOnce() throws Exception {
        assertThat(broker.logFile()).isEqualTo(dataDir.resolve("broker.log"));
        assertThat(Files.readString(broker.logFile())).contains("Kafka Server started");
        assertThat(dataDir.resolve("logs").resolve("meta.properties")).isRegularFile();
        assertThat(Files.readString(dataDir.resolve("server.properties")))
                .contains("listeners=PLAINTEXT\\://127.0.0.1\\:" + broker.settings().port())
                .contains("transaction.state.log.min.isr=1")
                .contains("group.initial.rebalance.delay.ms=0");
    }

    @Test
    void aSecondBrokerOnTheSamePortIsRefusedNamingThePort() {
        KafkaBroker second = new KafkaBroker(KafkaBroker.Settings.onFreePorts(dataDir.resolve("second"))
                .withPorts(broker.settings().port(), Ports.free()));

        org.assertj.core.api.Assertions.assertThatThrownBy(second::start)
                .isInstanceOf(Ports.PortInUseException.class)
                .hasMessageContaining("port " + broker.settings().port() + " (Kafka broker) is already in use");
    }

    private static void createTopic(String name, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            TopicCreator.awaitLeaders(admin, List.of(name));
        }
    }

    private static RecordMetadata produce(String topic, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static List<ConsumerRecord<String, String>> readAll(String topic, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        return records;
    }
}
