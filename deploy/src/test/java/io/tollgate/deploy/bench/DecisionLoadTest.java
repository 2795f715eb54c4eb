package io.tollgate.deploy.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class DecisionLoadTest {
    private Vertx vertx;
    private HttpServer server;
    private final Map<String, AtomicLong> asked = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> authorizations = new ConcurrentHashMap<>();

    @BeforeEach
    void startAGatewayAuthStandIn() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(request -> {
            String consumer = request.getHeader("X-Consumer-Id");
            asked.computeIfAbsent(consumer, c -> new AtomicLong()).incrementAndGet();
            authorizations.computeIfAbsent(String.valueOf(request.getHeader("Authorization")), a -> new AtomicLong()).incrementAndGet();
            if (consumer.startsWith("broke")) {
                request.response().setStatusCode(402).putHeader("Content-Type", "application/problem+json")
                        .end("{\"reason\":\"insufficient_credits\"}");
            } else {
                request.response().setStatusCode(200).end();
            }
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void sendsTheSetRateAsksEachConsumerInTurnAndCountsEveryAnswer() {
        DecisionLoad load = new DecisionLoad(vertx, 4, List.of("a", "b", "c", "broke-1"));

        DecisionLoad.Result result = load.run("stand-in", URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/authorize"),
                2_000, Duration.ofMillis(500));

        assertThat(result.sent()).isEqualTo(1_000);
        assertThat(result.answered()).isEqualTo(1_000);
        assertThat(result.errors()).isZero();
        assertThat(result.status(200)).isEqualTo(750);
        assertThat(result.status(402)).isEqualTo(250);
        assertThat(result.latency().count()).isEqualTo(1_000);
        assertThat(result.latency().p50()).isPositive();
        assertThat(asked).containsOnlyKeys("a", "b", "c", "broke-1");
        assertThat(asked.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(250));
    }

    @Test
    void closedLoopKeepsEveryConnectionBusyAndAnswersEverySend() {
        DecisionLoad load = new DecisionLoad(vertx, 4, List.of("a", "b", "c", "broke-1"));

        DecisionLoad.Result result = load.saturate("stand-in", URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/authorize"),
                Duration.ofMillis(300));

        long broke = java.util.stream.LongStream.range(0, result.sent()).filter(i -> i % 4 == 3).count();
        assertThat(result.sent()).isGreaterThan(100);
        assertThat(result.answered()).isEqualTo(result.sent());
        assertThat(result.errors()).isZero();
        assertThat(result.status(402)).isEqualTo(broke);
        assertThat(result.status(200)).isEqualTo(result.sent() - broke);
        assertThat(result.latency().count()).isEqualTo(result.sent());
        assertThat(result.throughput()).isPositive();
    }

    @Test
    void aServerThatIsNotThereIsCountedAsErrorsNotAnswers() throws Exception {
        int port = server.actualPort();
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        DecisionLoad load = new DecisionLoad(vertx, 2, List.of("a"));

        DecisionLoad.Result result = load.run("nobody", URI.create("http://127.0.0.1:" + port + "/v1/authorize"), 100, Duration.ofMillis(200));

        assertThat(result.sent()).isEqualTo(20);
        assertThat(result.answered()).isZero();
        assertThat(result.errors()).isEqualTo(20);
        assertThat(result.latency().count()).isZero();
    }

    @Test
    void sendsTheDecisionTokenOnEveryAskAsAGatewayDoes() {
        DecisionLoad load = new DecisionLoad(vertx, 2, List.of("a", "b"), "gw-token");

        DecisionLoad.Result result = load.run("stand-in", URI.create("http://127.0.0.1:" + server.actualPort() + "/v1/authorize"),
                200, Duration.ofMillis(200));

        assertThat(result.answered()).isEqualTo(40);
        assertThat(authorizations).containsOnlyKeys("Bearer gw-token");
        assertThat(authorizations.get("Bearer gw-token").get()).isEqualTo(40);
    }
}
