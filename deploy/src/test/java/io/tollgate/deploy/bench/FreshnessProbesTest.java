package io.tollgate.deploy.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.deploy.demo.GatewayPayloads;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class FreshnessProbesTest {
    private Vertx vertx;
    private HttpServer billing;
    private final Map<String, AtomicLong> counted = new ConcurrentHashMap<>();

    @BeforeEach
    void startABalanceStandIn() throws Exception {
        vertx = Vertx.vertx();
        billing = vertx.createHttpServer().requestHandler(request -> {
            String consumer = request.path().replace("/v1/consumers/", "").replace("/balance", "");
            if (!"Bearer token".equals(request.getHeader("Authorization"))) {
                request.response().setStatusCode(401).end();
                return;
            }
            long requests = counted.computeIfAbsent(consumer, c -> new AtomicLong()).get();
            request.response().putHeader("Content-Type", "application/json")
                    .end("{\"consumer\":\"" + consumer + "\",\"usage\":{\"requests\":" + requests + "}}");
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aProbeIsOneSampleFromItsSendUntilTheBalanceCountsIt() {
        try (FreshnessProbes probes = new FreshnessProbes(new GatewayPayloads(new ObjectMapper()), 2, vertx,
                URI.create("http://127.0.0.1:" + billing.actualPort()), "token")) {
            probes.start();
            probes.recording(true);

            FreshnessProbes.Probe first = probes.claim();
            FreshnessProbes.Probe second = probes.claim();
            assertThat(first.consumer).isEqualTo("probe-00");
            assertThat(second.consumer).isEqualTo("probe-01");
            assertThat(probes.claim()).as("both are out").isNull();

            probes.sent(first, false, System.nanoTime());
            probes.sent(second, true, System.nanoTime());
            counted.computeIfAbsent("probe-00", c -> new AtomicLong()).incrementAndGet();
            await().atMost(5, TimeUnit.SECONDS).until(() -> probes.http().count() == 1);
            assertThat(probes.raw().count()).as("probe-01 is not counted yet").isZero();
            counted.computeIfAbsent("probe-01", c -> new AtomicLong()).incrementAndGet();
            await().atMost(5, TimeUnit.SECONDS).until(() -> probes.raw().count() == 1);

            assertThat(probes.all().count()).isEqualTo(2);
            FreshnessProbes.Probe again = probes.claim();
            assertThat(again).isNotNull();
            assertThat(again.targetRequests).isEqualTo(2);
        }
    }

    @Test
    void aRefusedProbeIsFreeAgainWithoutASample() {
        try (FreshnessProbes probes = new FreshnessProbes(new GatewayPayloads(new ObjectMapper()), 1, vertx,
                URI.create("http://127.0.0.1:" + billing.actualPort()), "token")) {
            FreshnessProbes.Probe probe = probes.claim();
            probes.refused(probe);

            assertThat(probes.claim()).isSameAs(probe);
            assertThat(probes.all().count()).isZero();
        }
    }

    @Test
    void probesTakeBothPathsInTurnWhenBothCarryLoad() {
        try (FreshnessProbes probes = new FreshnessProbes(new GatewayPayloads(new ObjectMapper()), 1, vertx, URI.create("http://127.0.0.1:1"), "t")) {
            assertThat(probes.nextPathIsRawTopic(0.5)).isFalse();
            assertThat(probes.nextPathIsRawTopic(0.5)).isTrue();
            assertThat(probes.nextPathIsRawTopic(0.5)).isFalse();
            assertThat(probes.nextPathIsRawTopic(0.0)).isFalse();
            assertThat(probes.nextPathIsRawTopic(1.0)).isTrue();
        }
    }
}
