package io.tollgate.ingest.bench;

import io.tollgate.ingest.IngestConfig;
import io.tollgate.ingest.IngestService;
import io.tollgate.localstack.ApicurioRegistry;
import io.tollgate.localstack.KafkaBroker;
import io.tollgate.localstack.Ports;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.topics.Topics;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;

/**
 * Throughput of metering-ingest, on a stack it starts (embedded broker + Apicurio) or on one given by
 * {@code TOLLGATE_BENCH_BOOTSTRAP_SERVERS} and {@code TOLLGATE_BENCH_SCHEMA_REGISTRY_URL} (e.g. {@code ./tollgate up --infra-only}).
 * Phase 1: canonical batches of {@code bench.batch} events posted by {@code bench.concurrency} concurrent
 * requests for {@code bench.seconds}, after {@code bench.warmup.seconds}; reports events/s and the p50/p99 time to 202.
 * Phase 2: {@code bench.raw.events} APISIX log entries pre-loaded on a raw topic (arrays of {@code bench.batch}),
 * then normalized by the exactly-once Streams normalizer ({@code bench.raw.threads} stream threads); reports events/s
 * until all are committed in usage.events.
 * Run it with the command in metering-ingest/README.md; it is a benchmark, not a test.
 */
public final class IngestBench {
    private static final int PAYLOADS = 64;

    private IngestBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = Integer.getInteger("bench.seconds", 20);
        int warmup = Integer.getInteger("bench.warmup.seconds", 5);
        int concurrency = Integer.getInteger("bench.concurrency", 16);
        int batch = Integer.getInteger("bench.batch", 100);
        int rawEvents = Integer.getInteger("bench.raw.events", 1_000_000);
        String bootstrap = System.getenv("TOLLGATE_BENCH_BOOTSTRAP_SERVERS");
        String registry = System.getenv("TOLLGATE_BENCH_SCHEMA_REGISTRY_URL");
        Path dir = Files.createTempDirectory("tollgate-ingest-bench");
        KafkaBroker broker = null;
        ApicurioRegistry apicurio = null;
        try {
            if (bootstrap == null) {
                broker = new KafkaBroker(KafkaBroker.Settings.onFreePorts(dir.resolve("kafka")));
                apicurio = new ApicurioRegistry(ApicurioRegistry.Settings.inMemory(dir.resolve("registry"), Ports.free()));
                broker.start();
                apicurio.start();
                bootstrap = broker.bootstrapServers();
                registry = apicurio.confluentUrl();
            }
            System.out.printf("stack: %s, registry %s, %d cores%n", bootstrap, registry, Runtime.getRuntime().availableProcessors());
            String run = Long.toString(System.currentTimeMillis(), 36);
            httpPhase(bootstrap, registry, run, dir, seconds, warmup, concurrency, batch);
            rawPhase(bootstrap, registry, run, dir, rawEvents, batch);
        } finally {
            if (apicurio != null) {
                apicurio.close();
            }
            if (broker != null) {
                broker.close();
            }
        }
    }

    private static Map<String, Object> settings(String bootstrap, String registry, String run, Path dir, boolean raw) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(EnvConfig.BOOTSTRAP_SERVERS, bootstrap);
        settings.put(EnvConfig.SCHEMA_REGISTRY_URL, registry);
        settings.put(IngestConfig.PORT, Ports.free());
        settings.put(IngestConfig.USAGE_TOPIC, "bench-" + run + (raw ? "-raw" : "-http") + ".usage.events");
        settings.put(IngestConfig.DLQ_TOPIC, "bench-" + run + ".usage.events.dlq");
        settings.put(IngestConfig.KONG_TOPIC, "bench-" + run + ".gateway.kong.logs");
        settings.put(IngestConfig.APISIX_TOPIC, "bench-" + run + ".gateway.apisix.logs");
        settings.put(IngestConfig.CLOUDEVENTS_TOPIC, "bench-" + run + ".gateway.cloudevents");
        settings.put(IngestConfig.RAW_ENABLED, raw);
        settings.put(IngestConfig.RAW_APPLICATION_ID, "bench-" + run + "-ingest-raw");
        settings.put(IngestConfig.RAW_STATE_DIR, dir.resolve("streams").toString());
        settings.put(IngestConfig.RAW_THREADS, Integer.getInteger("bench.raw.threads", 1));
        return settings;
    }

    private static void httpPhase(String bootstrap, String registry, String run, Path dir, int seconds, int warmup,
                                  int concurrency, int batch) throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        for (int p = 0; p < PAYLOADS; p++) {
            StringBuilder body = new StringBuilder("[");
            for (int i = 0; i < batch; i++) {
                body.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                        "{\"id\":\"%s-%d-%d\",\"consumer\":\"consumer-%d\",\"source\":\"bench\",\"api\":\"orders\",\"method\":\"POST\","
                                + "\"path\":\"/v1/orders\",\"status\":201,\"meters\":{\"requests\":1,\"input_tokens\":%d,\"output_tokens\":%d}}",
                        run, p, i, (p * batch + i) % 500, 100 + i, 20 + i));
            }
            bodies.add(body.append(']').toString().getBytes(StandardCharsets.UTF_8));
        }
        try (IngestService service = IngestService.start(new IngestConfig(settings(bootstrap, registry, run, dir, false)), Map.of())) {
            await().atMost(Duration.ofSeconds(90)).until(service::ready);
            // Vert.x's client: java.net.http spends more CPU per request than the server, on the same two cores.
            Vertx vertx = Vertx.vertx();
            io.vertx.core.http.HttpClient client = vertx.createHttpClient(new HttpClientOptions()
                    .setDefaultHost("127.0.0.1").setDefaultPort(service.port()).setKeepAlive(true),
                    new PoolOptions().setHttp1MaxSize(concurrency));
            List<Buffer> payloads = bodies.stream().map(Buffer::buffer).toList();
            Semaphore inFlight = new Semaphore(concurrency);
            AtomicLong accepted = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            long start = System.nanoTime();
            long measureFrom = start + Duration.ofSeconds(warmup).toNanos();
            long end = measureFrom + Duration.ofSeconds(seconds).toNanos();
            long acceptedAtMeasureStart = -1;
            for (int n = 0; System.nanoTime() < end; n++) {
                inFlight.acquire();
                long now = System.nanoTime();
                if (acceptedAtMeasureStart < 0 && now >= measureFrom) {
                    acceptedAtMeasureStart = accepted.get();
                }
                boolean measured = now >= measureFrom;
                Buffer payload = payloads.get(n % PAYLOADS);
                client.request(HttpMethod.POST, "/v1/events")
                        .compose(request -> request.putHeader("Content-Type", "application/json").send(payload))
                        .compose(response -> response.body().map(body -> response.statusCode()))
                        .onComplete(result -> {
                            long took = System.nanoTime() - now;
                            inFlight.release();
                            if (result.succeeded() && result.result() == 202) {
                                accepted.addAndGet(batch);
                                if (measured) {
                                    latencies.add(took);
                                }
                            } else {
                                failed.incrementAndGet();
                            }
                        });
            }
            inFlight.acquire(concurrency);
            vertx.close().toCompletionStage().toCompletableFuture().join();
            long acceptedInWindow = accepted.get() - Math.max(0, acceptedAtMeasureStart);
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            System.out.printf(Locale.ROOT, "HTTP ingest: %d events in %d s = %.0f events/s (batches of %d, %d concurrent requests); "
                            + "time to 202 p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d requests not answered 202%n",
                    acceptedInWindow, seconds, acceptedInWindow / (double) seconds, batch, concurrency,
                    percentile(sorted, 0.50), percentile(sorted, 0.99), percentile(sorted, 1.0), failed.get());
        }
    }

    private static double percentile(List<Long> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1);
        return sorted.get(Math.max(0, index)) / 1_000_000.0;
    }

    private static void rawPhase(String bootstrap, String registry, String run, Path dir, int events, int batch) throws Exception {
        Map<String, Object> settings = settings(bootstrap, registry, run, dir, true);
        String rawTopic = (String) settings.get(IngestConfig.APISIX_TOPIC);
        String usageTopic = (String) settings.get(IngestConfig.USAGE_TOPIC);
        createTopics(bootstrap, settings);

        Map<String, Object> producerProps = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
                ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int r = 0; r < events / batch; r++) {
                StringBuilder value = new StringBuilder("[");
                for (int i = 0; i < batch; i++) {
                    value.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                            "{\"start_time\":%d,\"route_id\":\"1\",\"service_id\":\"orders\",\"server\":{\"hostname\":\"apisix-bench\"},"
                                    + "\"request\":{\"method\":\"GET\",\"uri\":\"/v1/orders?page=2\",\"size\":90,\"headers\":{\"host\":\"gw\",\"x-request-id\":\"%s-%d-%d\"}},"
                                    + "\"response\":{\"status\":200,\"size\":190},\"consumer\":{\"username\":\"consumer-%d\"},"
                                    + "\"latency\":12.5,\"upstream_latency\":11,\"llm_summary\":{\"prompt_tokens\":%d,\"completion_tokens\":\"%d\"}}",
                            1763719200000L + r, run, r, i, (r * batch + i) % 500, 100 + i, 20 + i));
                }
                producer.send(new ProducerRecord<>(rawTopic, null, value.append(']').toString().getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
        }
        System.out.printf("raw topic loaded with %d APISIX entries in records of %d%n", events, batch);

        Map<String, Object> consumerProps = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(usageTopic).stream()
                    .map(p -> new TopicPartition(usageTopic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long started = System.nanoTime();
            try (IngestService service = IngestService.start(new IngestConfig(settings), Map.of())) {
                long seen = 0;
                long firstSeenAt = 0;
                long seenAtFirst = 0;
                long deadline = started + Duration.ofMinutes(10).toNanos();
                while (seen < events && System.nanoTime() < deadline) {
                    int count = consumer.poll(Duration.ofMillis(100)).count();
                    if (count > 0 && firstSeenAt == 0) {
                        firstSeenAt = System.nanoTime();
                        seenAtFirst = count;
                    }
                    seen += count;
                }
                long done = System.nanoTime();
                double total = (done - started) / 1e9;
                double steady = (done - firstSeenAt) / 1e9;
                System.out.printf(Locale.ROOT, "raw normalization: %d of %d events committed in usage.events; %.1f s from start "
                                + "(%.0f events/s including start-up and group join), %.0f events/s from the first committed output%n",
                        seen, events, total, seen / total, (seen - seenAtFirst) / steady);
                System.out.println("normalizer state at the end: " + service.normalizerState());
            }
        }
    }

    /** The normalizer's topics, created before it runs so that the raw topic can be filled first. */
    private static void createTopics(String bootstrap, Map<String, Object> settings) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String key : List.of(IngestConfig.USAGE_TOPIC, IngestConfig.DLQ_TOPIC, IngestConfig.KONG_TOPIC,
                    IngestConfig.APISIX_TOPIC, IngestConfig.CLOUDEVENTS_TOPIC)) {
                topics.add(new NewTopic((String) settings.get(key), Topics.CONSUMER_PARTITIONS, (short) 1));
            }
            java.util.Set<String> existing = admin.listTopics().names().get();
            admin.createTopics(topics.stream().filter(t -> !existing.contains(t.name())).toList()).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot create the benchmark topics", e);
        }
    }
}
