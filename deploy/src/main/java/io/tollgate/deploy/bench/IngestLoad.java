package io.tollgate.deploy.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Gateways sending their call logs to Tollgate: Kong http-log batches ({@code POST /v1/events/kong}, a JSON array
 * of up to {@code batchSize} entries, sent when full or {@value #MAX_BATCH_DELAY_MILLIS} ms after its first entry,
 * as Kong's queue does) and Kong kafka-log records on the raw topic, one entry per record. An event counts as accepted
 * when its batch got a 202 or its record a broker ack; only those go into {@link ExpectedUsage}.
 */
final class IngestLoad implements AutoCloseable {
    static final String KONG_PATH = "/v1/events/kong";
    static final long MAX_BATCH_DELAY_MILLIS = 50;

    /** What one run of the load saw. */
    record Result(double rate, long startNanos, Duration elapsed, long sent, long accepted, long viaHttp, long viaRawTopic,
                  Map<Integer, Long> httpStatuses, long failures, Latency.Summary httpAck, Latency.Summary rawAck) {
        double acceptedPerSecond() {
            return elapsed.isZero() ? 0 : accepted * 1e9 / elapsed.toNanos();
        }
    }

    record Pending(KongLogTemplate call, byte[] bytes, FreshnessProbes.Probe probe) {
    }

    private final BenchTraffic traffic;
    private final FreshnessProbes probes;
    private final ExpectedUsage expected;
    private final String rawTopic;
    private final int batchSize;
    private final double rawShare;
    private final int probeStride;
    private final HttpClient client;
    private final Context context;
    private final RequestOptions post;
    private final KafkaProducer<String, byte[]> producer;
    private final Semaphore httpInFlight;
    private long nextIndex;

    IngestLoad(Vertx vertx, URI ingestUrl, String bootstrapServers, String rawTopic, BenchTraffic traffic,
               FreshnessProbes probes, ExpectedUsage expected, int batchSize, double rawShare, int connections, int probeStride) {
        this.traffic = traffic;
        this.probes = probes;
        this.expected = expected;
        this.rawTopic = rawTopic;
        this.batchSize = batchSize;
        this.rawShare = rawShare;
        this.probeStride = Math.max(1, probeStride);
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
        this.context = vertx.getOrCreateContext();
        this.post = new RequestOptions().setMethod(HttpMethod.POST).setHost(ingestUrl.getHost()).setPort(ingestUrl.getPort())
                .setURI(KONG_PATH).putHeader("Content-Type", "application/json").setTimeout(30_000);
        this.producer = rawProducer(bootstrapServers, "tollgate-bench-gateways");
        this.httpInFlight = new Semaphore(connections * 2);
    }

    /** A gateway's raw-topic producer as Kong kafka-log would be set up for billing data: acks=all, idempotent. */
    static KafkaProducer<String, byte[]> rawProducer(String bootstrapServers, String clientId) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, clientId,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Sends {@code rate} events per second for {@code duration}, open loop; returns when every answer is in. */
    Result paced(double rate, Duration duration) {
        Run run = new Run(false);
        List<Pending> batch = new ArrayList<>(batchSize);
        long[] batchStarted = {0};
        long first = nextIndex;
        long start = System.nanoTime();
        long sent = new OpenLoop(rate, start).run(start + duration.toNanos(), () -> false, (i, due) -> {
            long index = first + i;
            FreshnessProbes.Probe probe = probes != null && index % probeStride == 0 ? probes.claim() : null;
            KongLogTemplate call = probe != null ? probe.template : traffic.template(index);
            byte[] bytes = call.render(traffic.requestId(probe != null ? 2 : 0, index), System.currentTimeMillis());
            boolean viaRawTopic = probe != null ? probes.nextPathIsRawTopic(rawShare) : BenchTraffic.viaRawTopic(index, rawShare);
            if (viaRawTopic) {
                run.produce(new Pending(call, bytes, probe));
            } else {
                if (batch.isEmpty()) {
                    batchStarted[0] = System.nanoTime();
                }
                batch.add(new Pending(call, bytes, probe));
            }
            if (batch.size() >= batchSize
                    || (!batch.isEmpty() && System.nanoTime() - batchStarted[0] >= TimeUnit.MILLISECONDS.toNanos(MAX_BATCH_DELAY_MILLIS))) {
                run.post(List.copyOf(batch));
                batch.clear();
            }
        });
        nextIndex = first + sent;
        if (!batch.isEmpty()) {
            run.post(List.copyOf(batch));
        }
        return run.finish(rate, start, sent);
    }

    /**
     * Renders {@code events} calls for {@link #saturate}, which sends them as fast as Tollgate takes them (HTTP
     * batches bounded by the connection pool, raw records bounded by the producer's buffer) and returns when every
     * answer is in.
     */
    Burst prepare(long events) {
        List<Pending> batch = new ArrayList<>(batchSize);
        List<Pending> raw = new ArrayList<>();
        List<List<Pending>> batches = new ArrayList<>();
        long now = System.currentTimeMillis();
        for (long index = 0; index < events; index++) {
            KongLogTemplate call = traffic.template(index);
            Pending pending = new Pending(call, call.render(traffic.requestId(1, index), now), null);
            if (BenchTraffic.viaRawTopic(index, rawShare)) {
                raw.add(pending);
            } else {
                batch.add(pending);
                if (batch.size() == batchSize) {
                    batches.add(List.copyOf(batch));
                    batch.clear();
                }
            }
        }
        if (!batch.isEmpty()) {
            batches.add(List.copyOf(batch));
        }
        return new Burst(events, batches, raw);
    }

    /** A burst rendered ahead of time, so that rendering does not count against Tollgate. */
    record Burst(long events, List<List<Pending>> batches, List<Pending> raw) {
    }

    Result saturate(Burst burst) {
        Run run = new Run(true);
        long start = System.nanoTime();
        Thread rawSender = new Thread(() -> burst.raw().forEach(run::produce), "bench-raw-burst");
        rawSender.start();
        burst.batches().forEach(run::post);
        try {
            rawSender.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return run.finish(Double.NaN, start, burst.events());
    }

    /** The counters of one paced or saturated run. */
    private final class Run {
        final boolean bounded;
        final LongAdder accepted = new LongAdder();
        final LongAdder viaHttp = new LongAdder();
        final LongAdder viaRaw = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder outstanding = new LongAdder(); // events sent, not answered yet
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        final Latency httpAck = new Latency();
        final Latency rawAck = new Latency();
        volatile long lastAnswer;

        Run(boolean bounded) {
            this.bounded = bounded;
        }

        void produce(Pending pending) {
            long sentAt = System.nanoTime();
            if (pending.probe() != null) {
                probes.sent(pending.probe(), true, sentAt);
            }
            outstanding.increment();
            viaRaw.increment();
            producer.send(new ProducerRecord<>(rawTopic, pending.call().consumer(), pending.bytes()), (metadata, error) -> {
                if (error == null) {
                    expected.accepted(pending.call());
                    accepted.increment();
                    rawAck.recordNanos(System.nanoTime() - sentAt);
                } else {
                    failures.increment();
                    if (pending.probe() != null) {
                        probes.refused(pending.probe());
                    }
                }
                lastAnswer = System.nanoTime();
                outstanding.decrement();
            });
        }

        void post(List<Pending> entries) {
            if (bounded) {
                httpInFlight.acquireUninterruptibly();
            }
            int size = entries.stream().mapToInt(p -> p.bytes().length + 1).sum() + 1;
            Buffer body = Buffer.buffer(size).appendByte((byte) '[');
            for (int i = 0; i < entries.size(); i++) {
                if (i > 0) {
                    body.appendByte((byte) ',');
                }
                body.appendBytes(entries.get(i).bytes());
            }
            body.appendByte((byte) ']');
            long sentAt = System.nanoTime();
            entries.forEach(p -> {
                if (p.probe() != null) {
                    probes.sent(p.probe(), false, sentAt);
                }
            });
            outstanding.add(entries.size());
            viaHttp.add(entries.size());
            context.runOnContext(ignored -> client.request(post)
                    .compose(request -> request.send(body).compose(response -> response.body().map(b -> response.statusCode())))
                    .onComplete(outcome -> {
                        int status = outcome.succeeded() ? outcome.result() : -1;
                        statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
                        if (status == 202) {
                            entries.forEach(p -> expected.accepted(p.call()));
                            accepted.add(entries.size());
                            httpAck.recordNanos(System.nanoTime() - sentAt);
                        } else {
                            failures.add(entries.size());
                            entries.forEach(p -> {
                                if (p.probe() != null) {
                                    probes.refused(p.probe());
                                }
                            });
                        }
                        lastAnswer = System.nanoTime();
                        if (bounded) {
                            httpInFlight.release();
                        }
                        outstanding.add(-entries.size());
                    }));
        }

        Result finish(double rate, long start, long sent) {
            producer.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (outstanding.sum() > 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(1_000_000);
            }
            Map<Integer, Long> counts = new TreeMap<>();
            statuses.forEach((status, count) -> counts.put(status, count.sum()));
            Duration elapsed = Duration.ofNanos(Math.max(lastAnswer, start) - start);
            return new Result(rate, start, elapsed, sent, accepted.sum(), viaHttp.sum(), viaRaw.sum(), counts,
                    failures.sum() + outstanding.sum(), httpAck.summary(), rawAck.summary());
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
        client.close();
    }
}
