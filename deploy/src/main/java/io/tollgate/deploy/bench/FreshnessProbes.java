package io.tollgate.deploy.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.deploy.demo.GatewayPayloads;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Event-to-balance freshness, as a gateway's decision would see it. A few probe consumers each have at most one call
 * in flight inside the paced load; the time from handing that call to Tollgate (the POST of its batch, or the raw
 * topic send) until billing-service's own balance of that consumer counts it ({@code GET /v1/consumers/{id}/balance})
 * is one sample. The balance endpoint reads the same in-memory replica the decisions read. A probe is polled
 * {@value #POLL_MILLIS} ms after its send, then again after a twentieth of the time it has been out: each sample is
 * late by at most 5% (plus a {@value #POLL_MILLIS} ms tick), and a slow pipeline is not also flooded with polls.
 */
final class FreshnessProbes implements AutoCloseable {
    static final String CONSUMER_PREFIX = "probe-";
    static final int POLL_MILLIS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One probe consumer; {@code busy} from claim until its call is seen in the balance (or refused). */
    static final class Probe {
        final String consumer;
        final KongLogTemplate template;
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicBoolean polling = new AtomicBoolean();
        volatile long observedRequests;
        volatile long targetRequests;
        volatile long sentNanos;
        volatile boolean viaRawTopic;
        volatile long nextPollNanos;

        Probe(String consumer, KongLogTemplate template) {
            this.consumer = consumer;
            this.template = template;
        }
    }

    private final List<Probe> probes = new ArrayList<>();
    private final Vertx vertx;
    private final URI billingUrl;
    private final String adminToken;
    private final Latency http = new Latency();
    private final Latency raw = new Latency();
    private final Latency all = new Latency();
    private volatile boolean recording;
    private volatile boolean closed;
    private HttpClient client;
    private Thread poller;
    private int next;
    private long probeCalls;

    FreshnessProbes(GatewayPayloads payloads, int count, Vertx vertx, URI billingUrl, String adminToken) {
        for (int i = 0; i < count; i++) {
            String consumer = String.format(Locale.ROOT, CONSUMER_PREFIX + "%02d", i);
            probes.add(new Probe(consumer, KongLogTemplate.of(payloads, consumer, 0, 0)));
        }
        this.vertx = vertx;
        this.billingUrl = billingUrl;
        this.adminToken = adminToken;
    }

    List<String> consumers() {
        return probes.stream().map(p -> p.consumer).toList();
    }

    /** Samples are kept only while recording (the measured phase), not during warm-up. */
    void recording(boolean on) {
        recording = on;
    }

    /** A probe free to ride on the next call, or {@code null} when all are out. Called from the load thread only. */
    Probe claim() {
        for (int i = 0; i < probes.size(); i++) {
            Probe probe = probes.get((next + i) % probes.size());
            if (probe.busy.compareAndSet(false, true)) {
                next = (next + i + 1) % probes.size();
                probe.sentNanos = 0;
                probe.targetRequests = probe.observedRequests + 1;
                return probe;
            }
        }
        return null;
    }

    /** Probes take both paths in turn (when both carry load), so that each path gets its own figures. */
    boolean nextPathIsRawTopic(double rawShare) {
        if (rawShare <= 0 || rawShare >= 1) {
            return rawShare >= 1;
        }
        return (probeCalls++ & 1) == 1;
    }

    /** The probe's call was handed to Tollgate now. */
    void sent(Probe probe, boolean viaRawTopic, long nanos) {
        probe.viaRawTopic = viaRawTopic;
        probe.nextPollNanos = nanos + POLL_MILLIS * 1_000_000L;
        probe.sentNanos = nanos;
    }

    /** Tollgate refused the probe's call: it will never be counted, so the probe is free again, without a sample. */
    void refused(Probe probe) {
        probe.busy.set(false);
    }

    Latency.Summary all() {
        return all.summary();
    }

    Latency.Summary http() {
        return http.summary();
    }

    Latency.Summary raw() {
        return raw.summary();
    }

    void start() {
        client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(Math.max(1, probes.size())));
        Context context = vertx.getOrCreateContext();
        poller = new Thread(() -> {
            while (!closed) {
                long now = System.nanoTime();
                for (Probe probe : probes) {
                    long sent = probe.sentNanos;
                    if (probe.busy.get() && sent != 0 && now >= probe.nextPollNanos && probe.polling.compareAndSet(false, true)) {
                        probe.nextPollNanos = now + Math.max(POLL_MILLIS * 1_000_000L, (now - sent) / 20);
                        context.runOnContext(ignored -> poll(probe));
                    }
                }
                LockSupport.parkNanos(POLL_MILLIS * 1_000_000L);
            }
        }, "bench-freshness-probes");
        poller.setDaemon(true);
        poller.start();
    }

    private void poll(Probe probe) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(billingUrl.getHost())
                .setPort(billingUrl.getPort()).setURI("/v1/consumers/" + probe.consumer + "/balance")
                .putHeader("Authorization", "Bearer " + adminToken).setTimeout(10_000);
        client.request(options)
                .compose(request -> request.send().compose(response -> response.body().map(body ->
                        response.statusCode() == 200 ? requestsIn(body.getBytes()) : 0L)))
                .onComplete(outcome -> {
                    long seenAt = System.nanoTime();
                    if (outcome.succeeded()) {
                        long requests = outcome.result();
                        probe.observedRequests = Math.max(probe.observedRequests, requests);
                        if (requests >= probe.targetRequests && probe.sentNanos != 0) {
                            if (recording) {
                                long nanos = seenAt - probe.sentNanos;
                                all.recordNanos(nanos);
                                (probe.viaRawTopic ? raw : http).recordNanos(nanos);
                            }
                            probe.busy.set(false);
                        }
                    }
                    probe.polling.set(false);
                });
    }

    private static long requestsIn(byte[] body) {
        try {
            JsonNode balance = JSON.readTree(body);
            return balance.path("usage").path("requests").asLong(0);
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        closed = true;
        if (poller != null) {
            try {
                poller.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (client != null) {
            client.close();
        }
    }
}
