package io.tollgate.deploy.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Gateways asking for decisions: {@code GET /v1/authorize} with {@code X-Consumer-Id}, the consumers in turn, at a set
 * rate, open loop, over a fixed pool of keep-alive connections. The same load, unchanged, is pointed at nginx for the
 * floor. Latency runs from the request's due time to the end of its response.
 */
final class DecisionLoad {
    /** What one run of the load saw. */
    record Result(String target, double rate, Duration elapsed, long sent, long answered, Map<Integer, Long> statuses,
                  long errors, Latency.Summary latency) {
        double throughput() {
            return elapsed.isZero() ? 0 : answered * 1e9 / elapsed.toNanos();
        }

        long status(int code) {
            return statuses.getOrDefault(code, 0L);
        }
    }

    private final Vertx vertx;
    private final int connections;
    private final List<String> consumers;

    DecisionLoad(Vertx vertx, int connections, List<String> consumers) {
        if (consumers.isEmpty()) {
            throw new IllegalArgumentException("decisions need at least one consumer to ask about");
        }
        this.vertx = vertx;
        this.connections = connections;
        this.consumers = List.copyOf(consumers);
    }

    /**
     * Closed loop, for capacity: every connection sends its next request as soon as the previous one is answered, for
     * {@code duration}. Latency runs from each send. Returns when every chain has stopped.
     */
    Result saturate(String target, URI url, Duration duration) {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                        .setConnectTimeout(5_000).setIdleTimeout(60),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
        Context context = vertx.getOrCreateContext();
        Latency latency = new Latency();
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        LongAdder errors = new LongAdder();
        AtomicLong sent = new AtomicLong();
        java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(connections);
        RequestOptions base = new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost()).setPort(url.getPort())
                .setURI(url.getRawPath()).setTimeout(TimeUnit.SECONDS.toMillis(30));
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        for (int chain = 0; chain < connections; chain++) {
            context.runOnContext(ignored -> new Object() {
                void next() {
                    if (System.nanoTime() >= end) {
                        stopped.countDown();
                        return;
                    }
                    long index = sent.getAndIncrement();
                    long at = System.nanoTime();
                    String consumer = consumers.get((int) (index % consumers.size()));
                    client.request(new RequestOptions(base).putHeader("X-Consumer-Id", consumer))
                            .compose(request -> request.send().compose(response -> response.body().map(body -> response.statusCode())))
                            .onComplete(outcome -> {
                                if (outcome.succeeded()) {
                                    latency.recordNanos(System.nanoTime() - at);
                                    statuses.computeIfAbsent(outcome.result(), code -> new LongAdder()).increment();
                                } else {
                                    errors.increment();
                                }
                                next();
                            });
                }
            }.next());
        }
        try {
            stopped.await(duration.toSeconds() + 35, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        client.close();
        Map<Integer, Long> counts = new TreeMap<>();
        statuses.forEach((code, count) -> counts.put(code, count.sum()));
        long answered = counts.values().stream().mapToLong(Long::longValue).sum();
        return new Result(target, Double.NaN, elapsed, sent.get(), answered, counts, errors.sum(), latency.summary());
    }

    /** Runs {@code rate} requests per second against {@code url} for {@code duration}; waits for the last answer. */
    Result run(String target, URI url, double rate, Duration duration) {
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                        .setConnectTimeout(5_000).setIdleTimeout(60),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
        Context context = vertx.getOrCreateContext();
        Latency latency = new Latency();
        Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        LongAdder errors = new LongAdder();
        AtomicLong answered = new AtomicLong();
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        RequestOptions base = new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost()).setPort(url.getPort())
                .setURI(path).setTimeout(TimeUnit.SECONDS.toMillis(30));

        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long sent = new OpenLoop(rate, start).run(end, () -> false, (index, due) -> {
            String consumer = consumers.get((int) (index % consumers.size()));
            context.runOnContext(ignored -> client.request(new RequestOptions(base).putHeader("X-Consumer-Id", consumer))
                    .compose(request -> request.send().compose(response -> response.body().map(body -> response.statusCode())))
                    .onComplete(outcome -> {
                        if (outcome.succeeded()) {
                            latency.recordNanos(System.nanoTime() - due);
                            statuses.computeIfAbsent(outcome.result(), code -> new LongAdder()).increment();
                        } else {
                            errors.increment();
                        }
                        answered.incrementAndGet();
                    }));
        });
        long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(35);
        while (answered.get() < sent && System.nanoTime() < drainDeadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        client.close();
        Map<Integer, Long> counts = new TreeMap<>();
        statuses.forEach((code, count) -> counts.put(code, count.sum()));
        long ok = counts.values().stream().mapToLong(Long::longValue).sum();
        return new Result(target, rate, elapsed, sent, ok, counts, errors.sum() + (sent - answered.get()), latency.summary());
    }
}
