package io.tollgate.ingest.publish;

import io.tollgate.avro.UsageEvent;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class KafkaUsagePublisherTest {
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    private static final Serializer<UsageEvent> IDS = (topic, event) -> event.getId().getBytes(StandardCharsets.UTF_8);

    private final MockProducer<String, UsageEvent> producer = new MockProducer<>(false, null, new StringSerializer(), IDS);
    private KafkaUsagePublisher publisher;

    @AfterEach
    void close() {
        if (publisher != null) {
            publisher.close();
        }
    }

    private static UsageEvent event(String id, String consumer) {
        return UsageEvent.newBuilder().setId(id).setSource("s").setConsumer(consumer).setGateway("canonical")
                .setEventTime(Instant.parse("2026-11-21T10:00:00.123Z")).setIngestTime(Instant.parse("2026-11-21T10:00:05Z"))
                .setMeters(Map.of("requests", 1L)).build();
    }

    @Test
    void completesOnlyOnceKafkaAcknowledgedEveryEventKeyedByConsumerAtEventTime() throws Exception {
        publisher = new KafkaUsagePublisher(producer, "usage.events", 100, 1_000_000, ACK_TIMEOUT);

        CompletableFuture<Void> done = publisher.publish(List.of(event("e1", "acme"), event("e2", "globex")), 100);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 2);
        producer.completeNext();

        assertThat(done).isNotDone();
        producer.completeNext();
        done.get();
        ProducerRecord<String, UsageEvent> first = producer.history().get(0);
        assertThat(first.topic()).isEqualTo("usage.events");
        assertThat(first.key()).isEqualTo("acme");
        assertThat(first.timestamp()).isEqualTo(Instant.parse("2026-11-21T10:00:00.123Z").toEpochMilli());
        assertThat(new String(first.headers().lastHeader("tollgate-ingest-time").value(), StandardCharsets.UTF_8))
                .isEqualTo(Long.toString(Instant.parse("2026-11-21T10:00:05Z").toEpochMilli()));
        assertThat(publisher.inFlightEvents()).isZero();
    }

    @Test
    void failsAsUnavailableWhenASendIsNotAcknowledged() {
        publisher = new KafkaUsagePublisher(producer, "usage.events", 100, 1_000_000, ACK_TIMEOUT);

        CompletableFuture<Void> done = publisher.publish(List.of(event("e1", "acme"), event("e2", "acme")), 100);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 2);
        producer.completeNext();
        producer.errorNext(new TimeoutException("Expiring 1 record(s): 3000 ms has passed since batch creation"));

        assertThatThrownBy(done::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(PublishRejectedException.class)
                .satisfies(e -> assertThat(((PublishRejectedException) e).reason()).isEqualTo(PublishRejectedException.Reason.UNAVAILABLE))
                .hasMessageContaining("Expiring 1 record(s)");
        await().atMost(Duration.ofSeconds(5)).until(() -> publisher.inFlightEvents() == 0);
    }

    @Test
    void refusesAWholeRequestWhenTheInFlightBoundIsReachedAndTakesItOnceRoomIsBack() throws Exception {
        publisher = new KafkaUsagePublisher(producer, "usage.events", 3, 1_000_000, ACK_TIMEOUT);

        CompletableFuture<Void> first = publisher.publish(List.of(event("e1", "acme"), event("e2", "acme")), 10);
        CompletableFuture<Void> refused = publisher.publish(List.of(event("e3", "acme"), event("e4", "acme")), 10);

        assertThatThrownBy(refused::get).cause().isInstanceOf(PublishRejectedException.class)
                .satisfies(e -> assertThat(((PublishRejectedException) e).reason()).isEqualTo(PublishRejectedException.Reason.SATURATED));
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 2);
        producer.completeNext();
        producer.completeNext();
        first.get();

        CompletableFuture<Void> again = publisher.publish(List.of(event("e3", "acme"), event("e4", "acme")), 10);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 4);
        producer.completeNext();
        producer.completeNext();
        again.get();
        assertThat(producer.history()).extracting(r -> r.value().getId()).containsExactly("e1", "e2", "e3", "e4");
    }

    @Test
    void failsPartWayNamingTheEventsKafkaAcknowledgedAndKeepsTheBoundUntilEverySendIsSettled() {
        publisher = new KafkaUsagePublisher(producer, "usage.events", 100, 1_000_000, ACK_TIMEOUT);

        CompletableFuture<Void> done = publisher.publish(List.of(event("e1", "acme"), event("e2", "acme"), event("e3", "acme"),
                event("e4", "acme")), 100);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 4);
        producer.completeNext();
        producer.completeNext();
        producer.errorNext(new org.apache.kafka.common.errors.NotLeaderOrFollowerException("leader moved"));

        assertThatThrownBy(done::get).cause().isInstanceOf(PublishRejectedException.class)
                .hasMessage("Kafka refused an event: leader moved")
                .satisfies(e -> assertThat(((PublishRejectedException) e).acknowledged()).containsExactly(0, 1));
        assertThat(publisher.inFlightEvents()).isEqualTo(4);
        producer.completeNext();
        assertThat(publisher.inFlightEvents()).isZero();
    }

    @Test
    void answersWithinTheAcknowledgementTimeoutWhenKafkaStopsAnswering() {
        publisher = new KafkaUsagePublisher(producer, "usage.events", 100, 1_000_000, Duration.ofMillis(300));

        long began = System.nanoTime();
        CompletableFuture<Void> done = publisher.publish(List.of(event("e1", "acme"), event("e2", "acme"), event("e3", "acme")), 100);
        await().atMost(Duration.ofSeconds(5)).until(() -> producer.history().size() == 3);
        producer.completeNext();

        assertThatThrownBy(done::get).cause().isInstanceOf(PublishRejectedException.class)
                .hasMessage("Kafka did not acknowledge every event within 300 ms")
                .satisfies(e -> assertThat(((PublishRejectedException) e).acknowledged()).containsExactly(0));
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(2));
        // the producer still holds two events: they count against the bound until it settles them
        assertThat(publisher.inFlightEvents()).isEqualTo(3);
        producer.errorNext(new TimeoutException("Expiring 1 record(s)"));
        producer.completeNext();
        assertThat(publisher.inFlightEvents()).isZero();
    }

    @Test
    void aSendThatThrowsPartWayFailsTheRequestWithWhatWasAcknowledgedBefore() {
        MockProducer<String, UsageEvent> throwsOnThird = new MockProducer<>(true, null, new StringSerializer(), IDS) {
            @Override
            public synchronized java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> send(
                    ProducerRecord<String, UsageEvent> record, org.apache.kafka.clients.producer.Callback callback) {
                if (history().size() == 2) {
                    throw new org.apache.kafka.common.errors.TimeoutException("Topic usage.events not present in metadata after 2000 ms.");
                }
                return super.send(record, callback);
            }
        };
        publisher = new KafkaUsagePublisher(throwsOnThird, "usage.events", 100, 1_000_000, ACK_TIMEOUT);

        CompletableFuture<Void> done = publisher.publish(List.of(event("e1", "acme"), event("e2", "acme"), event("e3", "acme"),
                event("e4", "acme")), 100);

        assertThatThrownBy(done::get).cause().isInstanceOf(PublishRejectedException.class)
                .hasMessageStartingWith("Kafka did not take the events: Topic usage.events not present")
                .satisfies(e -> assertThat(((PublishRejectedException) e).acknowledged()).containsExactly(0, 1));
        assertThat(throwsOnThird.history()).extracting(r -> r.value().getId()).containsExactly("e1", "e2");
        await().atMost(Duration.ofSeconds(5)).until(() -> publisher.inFlightEvents() == 0);
    }
}
