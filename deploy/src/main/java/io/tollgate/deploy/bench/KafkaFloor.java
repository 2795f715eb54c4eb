package io.tollgate.deploy.bench;

import io.tollgate.localstack.TopicCreator;
import io.tollgate.schemas.topics.TopicReaders;
import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The Kafka floor: the same Kong log entries, produced with the same producer settings to a topic with the same
 * partition count on the same broker, and consumed back by one consumer. Latency runs from the send to the poll that
 * returned the record: one hop of Kafka, no processing, which no pipeline on this broker can beat.
 */
final class KafkaFloor implements AutoCloseable {
    private static final String SENT_AT = "bench-sent-nanos";

    /** What one run saw: events produced and consumed, and the produce-to-consume latency. */
    record Result(double rate, long events, long consumed, Duration elapsed, Latency.Summary latency) {
        double consumedPerSecond() {
            return elapsed.isZero() ? 0 : consumed * 1e9 / elapsed.toNanos();
        }
    }

    private final String bootstrapServers;
    private final BenchTraffic traffic;
    private final int partitions;
    private final KafkaProducer<String, byte[]> producer;
    private int runs;

    KafkaFloor(String bootstrapServers, BenchTraffic traffic) {
        this.bootstrapServers = bootstrapServers;
        this.traffic = traffic;
        this.partitions = Topics.KONG_LOGS.partitions();
        this.producer = IngestLoad.rawProducer(bootstrapServers, "tollgate-bench-floor");
    }

    /** Produces {@code rate} events per second for {@code duration}, open loop, while consuming them back. */
    Result paced(double rate, Duration duration) {
        String topic = newTopic();
        try (Reader reader = new Reader(topic)) {
            long start = System.nanoTime();
            long sent = new OpenLoop(rate, start).run(start + duration.toNanos(), () -> false,
                    (index, due) -> send(record(topic, index, System.currentTimeMillis())));
            producer.flush();
            reader.await(sent);
            return new Result(rate, sent, reader.consumed.get(), Duration.ofNanos(reader.last - start), reader.latency.summary());
        }
    }

    /** Produces {@code events} (rendered beforehand, as for Tollgate's burst) as fast as the producer takes them, while consuming them back. */
    Result saturate(long events) {
        String topic = newTopic();
        long now = System.currentTimeMillis();
        List<ProducerRecord<String, byte[]>> records = new java.util.ArrayList<>();
        for (long index = 0; index < events; index++) {
            records.add(record(topic, index, now));
        }
        try (Reader reader = new Reader(topic)) {
            long start = System.nanoTime();
            records.forEach(this::send);
            producer.flush();
            reader.await(events);
            return new Result(Double.NaN, events, reader.consumed.get(), Duration.ofNanos(reader.last - start), reader.latency.summary());
        }
    }

    private ProducerRecord<String, byte[]> record(String topic, long index, long startedAtMillis) {
        KongLogTemplate call = traffic.template(index);
        return new ProducerRecord<>(topic, call.consumer(), call.render(traffic.requestId(3, index), startedAtMillis));
    }

    private void send(ProducerRecord<String, byte[]> record) {
        record.headers().add(SENT_AT, ByteBuffer.allocate(Long.BYTES).putLong(System.nanoTime()).array());
        producer.send(record);
    }

    /** A new topic shaped as the raw topic the same events go to in Tollgate's run (partitions, retention). */
    private String newTopic() {
        TopicSpec spec = Topics.KONG_LOGS.withName("tollgate.bench.floor." + ProcessHandle.current().pid() + "." + (runs++));
        TopicCreator.local(bootstrapServers).createMissing(List.of(spec));
        return spec.name();
    }

    /** One consumer reading the floor topic from the start on its own thread. */
    private final class Reader implements AutoCloseable {
        final Latency latency = new Latency();
        final AtomicLong consumed = new AtomicLong();
        final Thread thread;
        volatile long last;
        volatile boolean closed;

        Reader(String topic) {
            KafkaConsumer<String, byte[]> consumer = TopicReaders.consumer(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    ConsumerConfig.CLIENT_ID_CONFIG, "tollgate-bench-floor-reader",
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                    ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100),
                    new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> assigned = java.util.stream.IntStream.range(0, partitions)
                    .mapToObj(p -> new TopicPartition(topic, p)).toList();
            consumer.assign(assigned);
            consumer.seekToBeginning(assigned);
            assigned.forEach(partition -> consumer.position(partition, Duration.ofSeconds(30))); // connected before the first send
            thread = new Thread(() -> {
                try (consumer) {
                    while (!closed) {
                        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                            long now = System.nanoTime();
                            Header sentAt = record.headers().lastHeader(SENT_AT);
                            latency.recordNanos(now - ByteBuffer.wrap(sentAt.value()).getLong());
                            consumed.incrementAndGet();
                            last = now;
                        }
                    }
                }
            }, "bench-floor-reader");
            thread.setDaemon(true);
            thread.start();
        }

        void await(long events) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (consumed.get() < events && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }

        @Override
        public void close() {
            closed = true;
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
