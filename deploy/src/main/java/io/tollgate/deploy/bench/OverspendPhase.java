package io.tollgate.deploy.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.deploy.demo.GatewayCall;
import io.tollgate.deploy.demo.GatewayPayloads;
import io.tollgate.deploy.demo.TollgateApi;
import io.tollgate.schemas.money.Money;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The overspend phase: can gateways that ask before every call spend more than a prepaid consumer's credits?
 *
 * <p>{@value #GATEWAYS} gateway connections hammer one prepaid consumer for the phase's duration: each asks
 * {@code GET /v1/authorize} before every call (closed loop) and reports every allowed call as one usage event, half of
 * them like a batching HTTP logger (canonical events to {@code POST /v1/events}, sent when 20 are queued or 50 ms after
 * the first), half through the raw {@code gateway.cloudevents} topic (one CloudEvent per record, idempotent producer
 * with a 5 ms linger). The consumer starts with credits for {@code initialCalls} calls and is topped up twice by a third
 * of that while the calls run: when the calls allowed reach half the first credits, and half of the first top-up later.
 * At the end, once the balance counts every reported event: credits granted, calls allowed, spent, and the overshoot
 * as a share of the credits granted.
 */
final class OverspendPhase {
    static final String PLAN = "bench-overspend";
    /** Every call costs 0.01. */
    static final long CALL_MICROS = 10_000;
    static final double GOAL = 0.001;
    static final int GATEWAYS = 4;
    private static final int HTTP_BATCH = 20;
    private static final long HTTP_BATCH_WAIT_MILLIS = 50;

    /**
     * @param topUpsAtAllowed the calls allowed when each top-up was sent
     * @param countedCalls    requests in the consumer's balance once every reported event was counted
     */
    record Result(String consumer, long initialCalls, long topUpCalls, long grantedMicros, long allowedCalls, long deniedCalls, long decisionErrors,
                  long reportedViaHttp, long reportedViaRawTopic, long reportsRefused, long countedCalls, long spentMicros,
                  long remainingMicros, List<Long> topUpsAtAllowed, Duration elapsed) {
        double overshoot() {
            return (spentMicros - grantedMicros) / (double) grantedMicros;
        }

        boolean withinGoal() {
            return overshoot() <= GOAL;
        }
    }

    private final ObjectMapper json;
    private final GatewayPayloads payloads;
    private final TollgateApi api;
    private final String ingestUrl;
    private final String billingUrl;
    private final String bootstrapServers;
    /** Sent as {@code Authorization: Bearer}, as a gateway does; null sends none. */
    private final String decisionToken;
    private final PrintStream out;
    private final String runId = Long.toString(System.currentTimeMillis(), 36);
    /** A consumer of its own per run, so that a kept data directory can run the phase again. */
    private final String consumerId = "overspend-" + runId;

    OverspendPhase(ObjectMapper json, TollgateApi api, BenchRun.Target target, PrintStream out) {
        this.json = json;
        this.payloads = new GatewayPayloads(json);
        this.api = api;
        this.ingestUrl = target.ingestUrl();
        this.billingUrl = target.billingUrl();
        this.bootstrapServers = target.bootstrapServers();
        this.decisionToken = target.decisionToken();
        this.out = out;
    }

    Result run(long initialCalls, Duration duration) {
        long topUpCalls = Math.max(1, initialCalls / 3);
        ObjectNode plan = json.createObjectNode();
        plan.put("currency", "USD");
        plan.put("period", "month");
        plan.putObject("meters").putObject("requests").put("unitPrice", Money.formatMicros(CALL_MICROS)).put("per", 1);
        api.putPlan(PLAN, plan);
        ObjectNode consumer = json.createObjectNode();
        consumer.put("plan", PLAN);
        consumer.put("status", "active");
        consumer.put("billing", "prepaid");
        api.putConsumer(consumerId, consumer);
        api.grantCredits(consumerId, Money.formatMicros(initialCalls * CALL_MICROS), "overspend-" + runId + "-0", "bench: overspend phase");
        awaitBalance(b -> b.path("remaining").asText().equals(Money.formatMicros(initialCalls * CALL_MICROS)),
                "the first credits of " + consumerId, Duration.ofMinutes(2));

        Tally tally = new Tally();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = IngestLoad.rawProducer(bootstrapServers, "tollgate-bench-overspend");
             HttpLogger httpLogger = new HttpLogger(tally)) {
            for (int g = 0; g < GATEWAYS; g++) {
                boolean viaRawTopic = g % 2 == 1;
                String source = "bench-gw-" + runId + "-" + g;
                Thread gateway = new Thread(() -> hammer(source, viaRawTopic, producer, httpLogger, tally, running),
                        "bench-overspend-gateway-" + g);
                threads.add(gateway);
                gateway.start();
            }
            List<Long> topUpsAt = new ArrayList<>();
            long[] triggers = {initialCalls / 2, initialCalls + topUpCalls / 2};
            long end = start + duration.toNanos();
            while (System.nanoTime() < end) {
                if (topUpsAt.size() < triggers.length && tally.allowed.sum() >= triggers[topUpsAt.size()]) {
                    topUpsAt.add(tally.allowed.sum());
                    api.grantCredits(consumerId, Money.formatMicros(topUpCalls * CALL_MICROS), "overspend-" + runId + "-" + topUpsAt.size(),
                            "bench: top-up while calls are in flight");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            running.set(false);
            for (Thread gateway : threads) {
                join(gateway);
            }
            httpLogger.flushAll();
            producer.flush();
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (tally.reportsOutstanding.sum() > 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            if (topUpsAt.size() < triggers.length) {
                throw new IllegalStateException("the overspend phase allowed " + tally.allowed.sum() + " calls in " + duration.toSeconds()
                        + " s: too few to send both top-ups (lengthen --overspend-duration or lower --overspend-calls)");
            }
            long reported = tally.acceptedHttp.sum() + tally.acceptedRaw.sum();
            JsonNode balance = awaitBalance(b -> b.path("usage").path("requests").asLong(-1) == reported,
                    "the " + reported + " reported calls of " + consumerId + " in its balance", Duration.ofMinutes(3));
            long granted = (initialCalls + 2 * topUpCalls) * CALL_MICROS;
            return new Result(consumerId, initialCalls, topUpCalls, granted, tally.allowed.sum(), tally.denied.sum(), tally.errors.sum(),
                    tally.acceptedHttp.sum(), tally.acceptedRaw.sum(), tally.refused.sum(), balance.path("usage").path("requests").asLong(),
                    signedMicros(balance.path("spent").asText()), signedMicros(balance.path("remaining").asText()),
                    List.copyOf(topUpsAt), elapsed);
        } finally {
            running.set(false);
            threads.forEach(OverspendPhase::join);
        }
    }

    /** One gateway connection: ask, and when allowed, report the call. */
    private void hammer(String source, boolean viaRawTopic, KafkaProducer<String, byte[]> producer, HttpLogger httpLogger, Tally tally,
                        AtomicBoolean running) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest.Builder asking = HttpRequest.newBuilder(URI.create(billingUrl + "/v1/authorize"))
                .header("X-Consumer-Id", consumerId)
                .timeout(Duration.ofSeconds(10))
                .GET();
        if (decisionToken != null) {
            asking.header("Authorization", "Bearer " + decisionToken);
        }
        HttpRequest ask = asking.build();
        long n = 0;
        while (running.get()) {
            int status;
            try {
                status = http.send(ask, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                tally.errors.increment();
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (status == 402) {
                tally.denied.increment();
                continue;
            }
            if (status != 200) {
                tally.errors.increment();
                continue;
            }
            tally.allowed.increment();
            GatewayCall call = new GatewayCall(source + "-" + n++, consumerId, "bench", "bench-route", "GET", "/bench/call", 200,
                    Instant.now(), 120, 480, 0, 0, null, false);
            tally.reportsOutstanding.increment();
            if (viaRawTopic) {
                producer.send(new ProducerRecord<>(Topics.CLOUDEVENTS.name(), consumerId, payloads.bytes(payloads.cloudEvent(call))),
                        (metadata, error) -> {
                            if (error == null) {
                                tally.acceptedRaw.increment();
                            } else {
                                tally.refused.increment();
                            }
                            tally.reportsOutstanding.decrement();
                        });
            } else {
                httpLogger.add(payloads.canonical(call));
            }
        }
    }

    /** A batching HTTP logger, as Kong's http-log queue: a batch goes when it holds 20 events or 50 ms after its first. */
    private final class HttpLogger implements AutoCloseable {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        private final Tally tally;
        private final Thread sender;
        private final List<ObjectNode> batch = new ArrayList<>();
        private long batchStarted;
        private volatile boolean closed;

        HttpLogger(Tally tally) {
            this.tally = tally;
            this.sender = new Thread(this::sendWhenDue, "bench-overspend-http-logger");
            sender.start();
        }

        synchronized void add(ObjectNode event) {
            if (batch.isEmpty()) {
                batchStarted = System.nanoTime();
            }
            batch.add(event);
        }

        private synchronized List<ObjectNode> takeIfDue(boolean force) {
            if (batch.isEmpty() || !force && batch.size() < HTTP_BATCH
                    && System.nanoTime() - batchStarted < TimeUnit.MILLISECONDS.toNanos(HTTP_BATCH_WAIT_MILLIS)) {
                return List.of();
            }
            List<ObjectNode> due = new ArrayList<>(batch);
            batch.clear();
            return due;
        }

        private void sendWhenDue() {
            while (!closed) {
                List<ObjectNode> due = takeIfDue(false);
                if (due.isEmpty()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                } else {
                    post(due);
                }
            }
        }

        void flushAll() {
            closed = true;
            join(sender);
            List<ObjectNode> rest = takeIfDue(true);
            if (!rest.isEmpty()) {
                post(rest);
            }
        }

        private void post(List<ObjectNode> events) {
            ArrayNode array = json.createArrayNode();
            events.forEach(array::add);
            HttpRequest request = HttpRequest.newBuilder(URI.create(ingestUrl + "/v1/events"))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(payloads.bytes(array))).build();
            int status;
            try {
                status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                status = -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = -1;
            }
            if (status == 202) {
                tally.acceptedHttp.add(events.size());
            } else {
                tally.refused.add(events.size());
            }
            tally.reportsOutstanding.add(-events.size());
        }

        @Override
        public void close() {
            closed = true;
            join(sender);
        }
    }

    private static final class Tally {
        final LongAdder allowed = new LongAdder();
        final LongAdder denied = new LongAdder();
        final LongAdder errors = new LongAdder();
        final LongAdder acceptedHttp = new LongAdder();
        final LongAdder acceptedRaw = new LongAdder();
        final LongAdder refused = new LongAdder();
        final LongAdder reportsOutstanding = new LongAdder();
    }

    private JsonNode awaitBalance(java.util.function.Predicate<JsonNode> condition, String what, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        TollgateApi.Reply last = null;
        while (System.nanoTime() < deadline) {
            last = api.balance(consumerId);
            if (last.status() == 200 && condition.test(last.body())) {
                return last.body();
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new IllegalStateException("waited " + timeout.toSeconds() + " s for " + what + "; the balance reads "
                + (last == null ? "nothing" : last.status() + " " + last.raw()));
    }

    /** A decimal string that may be negative (what remains after an overspend). */
    static long signedMicros(String decimal) {
        return decimal.startsWith("-") ? -Money.parseMicros(decimal.substring(1)) : Money.parseMicros(decimal);
    }

    private static void join(Thread thread) {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String line(Result r) {
        return String.format(Locale.ROOT, "overspend: %d gateway connections (%d HTTP, %d raw topic) on one prepaid consumer (%s);"
                        + " credits %s (%,d calls at %s, then two top-ups of %,d calls, sent at %s calls allowed); %,d calls allowed,"
                        + " %,d denied, %,d decision errors; %,d reported (%,d HTTP, %,d raw topic, %,d refused), %,d counted; spent %s:"
                        + " overshoot %.2f %% of the credits granted (goal at most %.1f %%)",
                GATEWAYS, GATEWAYS / 2, GATEWAYS / 2, r.consumer(), Money.formatMicros(r.grantedMicros()), r.initialCalls(), Money.formatMicros(CALL_MICROS),
                r.topUpCalls(), r.topUpsAtAllowed(), r.allowedCalls(), r.deniedCalls(), r.decisionErrors(),
                r.reportedViaHttp() + r.reportedViaRawTopic(), r.reportedViaHttp(), r.reportedViaRawTopic(), r.reportsRefused(),
                r.countedCalls(), Money.formatMicros(r.spentMicros()), 100 * r.overshoot(), 100 * GOAL);
    }
}
