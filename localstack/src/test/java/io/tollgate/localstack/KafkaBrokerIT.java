package io.tollgate.localstack;

import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class KafkaBrokerIT {

    @Test
    void aCleanStopAndAStartOnTheSamePortKeepAnAcknowledgedMessage(KafkaStack stack) throws Exception {
        assertThat(stack.mode()).isEqualTo(KafkaStack.Mode.EMBEDDED);
        String topic = stack.unique("broker.restart");
        stack.createTopic(topic, 3);
        RecordMetadata written = produce(stack, topic, "acme", "kept across a clean restart");

        stack.stopBroker();
        assertThat(Ports.isListening(Integer.parseInt(stack.bootstrapServers().split(":")[1]))).isFalse();
        stack.startBroker();

        List<ConsumerRecord<String, String>> read = readAll(stack, topic, 1);
        assertThat(read).singleElement().satisfies(record -> {
            assertThat(record.key()).isEqualTo("acme");
            assertThat(record.value()).isEqualTo("kept across a clean restart");
            assertThat(record.partition()).isEqualTo(written.partition());
            assertThat(record.offset()).isEqualTo(written.offset());
        });
    }

    @Test
    void aKilledBrokerRecoversItsLogOnTheNextStart(KafkaStack stack) throws Exception {
        String topic = stack.unique("broker.crash");
        stack.createTopic(topic, 1);
        produce(stack, topic, "acme", "first");
        produce(stack, topic, "acme", "second");

        stack.killBroker();
        stack.startBroker();

        assertThat(readAll(stack, topic, 2)).extracting(ConsumerRecord::value).containsExactly("first", "second");
    }

    private static RecordMetadata produce(KafkaStack stack, String topic, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    static List<ConsumerRecord<String, String>> readAll(KafkaStack stack, String topic, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, stack.unique("reader"),
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
