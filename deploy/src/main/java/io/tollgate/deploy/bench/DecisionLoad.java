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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
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
    private final String decisionToken;

    /** @param decisionToken sent as {@code Authorization: Bearer}, as a gateway does; null sends none */
    DecisionLoad(Vertx vertx, int connections, List<String> consumers, String decisionToken) {
        if (consumers.isEmpty()) {
            throw new IllegalArgumentException("decisions need at least one consumer to ask about");
        }
        this.vertx = vertx;
        this.connections = connections;
        this.consumers = List.copyOf(consumers);
        this.decisionToken = decisionToken;
    }

    DecisionLoad(Vertx vertx, int connections, List<String> consumers) {
        this(vertx, connections, consumers, null);
    }

    /**
     * Closed loop, for capacity: every connection sends its next request as soon as the previous one is answered, for
     * {@code duration}. Latency runs from each send. Returns when every chain has stopped.
     */
    Result saturate(String target, URI url, Duration duration) {
        Calls calls = new Calls(url);
        AtomicLong sent = new AtomicLong();
        CountDownLatch stopped = new CountDownLatch(connections);
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        for (int chain = 0; chain < connections; chain++) {
            calls.context.runOnContext(ignored -> new Runnable() {
                @Override
                public void run() {
                    if (System.nanoTime() >= end) {
                        stopped.countDown();
                        return;
                    }
                    long index = sent.getAndIncrement();
                    calls.ask(consumers.get((int) (index % consumers.size())), System.nanoTime(), this);
                }
            }.run());
        }
        try {
            stopped.await(duration.toSeconds() + 35, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return calls.result(target, Double.NaN, start, sent.get());
    }

    /** Runs {@code rate} requests per second against {@code url} for {@code duration}; waits for the last answer. */
    Result run(String target, URI url, double rate, Duration duration) {
        Calls calls = new Calls(url);
        long start = System.nanoTime();
        long sent = new OpenLoop(rate, start).run(start + duration.toNanos(), () -> false, (index, due) -> {
            String consumer = consumers.get((int) (index % consumers.size()));
            calls.context.runOnContext(ignored -> calls.ask(consumer, due, () -> { }));
        });
        calls.awaitAnswers(sent, Duration.ofSeconds(35));
        return calls.result(target, rate, start, sent);
    }

    /** One run's client and tallies: every call is answered once (a status or an error) and counted once. */
    private final class Calls {
        final HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                        .setConnectTimeout(5_000).setIdleTimeout(60),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
        final Context context = vertx.getOrCreateContext();
        final RequestOptions base;
        final Latency latency = new Latency();
        final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
        final LongAdder errors = new LongAdder();
        final Semaphore answered = new Semaphore(0);

        Calls(URI url) {
            String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
            base = new RequestOptions().setMethod(HttpMethod.GET).setHost(url.getHost()).setPort(url.getPort())
                    .setURI(path).setTimeout(TimeUnit.SECONDS.toMillis(30));
            if (decisionToken != null) {
                base.putHeader("Authorization", "Bearer " + decisionToken);
            }
        }

        /** Asks about {@code consumer}; its latency runs from {@code fromNanos}; {@code then} runs once it is answered. */
        void ask(String consumer, long fromNanos, Runnable then) {
            client.request(new RequestOptions(base).putHeader("X-Consumer-Id", consumer))
                    .compose(request -> request.send().compose(response -> response.body().map(body -> response.statusCode())))
                    .onComplete(outcome -> {
                        if (outcome.succeeded()) {
                            latency.recordNanos(System.nanoTime() - fromNanos);
                            statuses.computeIfAbsent(outcome.result(), code -> new LongAdder()).increment();
                        } else {
                            errors.increment();
                        }
                        answered.release();
                        then.run();
                    });
        }

        void awaitAnswers(long calls, Duration timeout) {
            try {
                if (answered.tryAcquire((int) calls, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    answered.release((int) calls);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        Result result(String target, double rate, long startNanos, long sent) {
            Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
            client.close();
            Map<Integer, Long> counts = new TreeMap<>();
            statuses.forEach((code, count) -> counts.put(code, count.sum()));
            long ok = counts.values().stream().mapToLong(Long::longValue).sum();
            long unanswered = Math.max(0, sent - answered.availablePermits());
            return new Result(target, rate, elapsed, sent, ok, counts, errors.sum() + unanswered, latency.summary());
        }
    }
}
