package io.tollgate.streams.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.avro.Balance;
import io.tollgate.runtime.BearerTokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /v1/balances/{consumer}} takes the admin token, checks the consumer id, then answers from the lookup. */
class BalanceRoutesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static Vertx vertx;
    private static int guarded;
    private static int closed;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        guarded = serve(BearerTokens.parse("admin-1,admin-2"));
        closed = serve(BearerTokens.parse(""));
    }

    private static int serve(BearerTokens tokens) {
        Router router = Router.router(vertx);
        new BalanceRoutes(consumer -> switch (consumer) {
            case "acme" -> new BalanceLookup.Found(balance("acme"));
            case "far away" -> new BalanceLookup.Elsewhere(new HostInfo("10.0.0.7", 8070));
            default -> new BalanceLookup.NotFound();
        }, tokens).mount(router);
        HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().join();
        return server.actualPort();
    }

    @AfterAll
    static void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static Balance balance(String consumer) {
        return Balance.newBuilder().setConsumer(consumer).setPlan("pro").setStatus("active").setBilling("prepaid").setCurrency("USD")
                .setPeriod("2026-11").setCreditsMicros(25_000_000).setSpentMicros(0).setRemainingMicros(25_000_000)
                .setSpendLimitMicros(null).setUsage(new HashMap<>()).setAmounts(new HashMap<>()).setMeters(new HashMap<>())
                .setVersion(1).setLastEventTime(null).setUpdatedAt(Instant.parse("2026-11-21T10:00:00Z")).build();
    }

    private static HttpResponse<String> get(int port, String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutOrWithAWrongTokenABalanceIs401() throws Exception {
        for (HttpResponse<String> response : List.of(get(guarded, "/v1/balances/acme"),
                get(guarded, "/v1/balances/acme", "Authorization", "Bearer admin-3"),
                get(closed, "/v1/balances/acme", "Authorization", "Bearer admin-1"))) {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tollgate-admin\"");
            assertThat(response.body()).doesNotContain("25000000");
        }
    }

    @Test
    void withAnAdminTokenTheBalanceIsAnswered() throws Exception {
        HttpResponse<String> response = get(guarded, "/v1/balances/acme", "Authorization", "Bearer admin-2");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("consumer").asText()).isEqualTo("acme");
        assertThat(body.path("remainingMicros").asLong()).isEqualTo(25_000_000);
    }

    @Test
    void redirectsToTheInstanceThatHoldsTheConsumerAndAnswers404ForNobody() throws Exception {
        HttpResponse<String> elsewhere = get(guarded, "/v1/balances/far%20away", "Authorization", "Bearer admin-1");
        HttpResponse<String> nobody = get(guarded, "/v1/balances/nobody", "Authorization", "Bearer admin-1");

        assertThat(elsewhere.statusCode()).isEqualTo(307);
        assertThat(elsewhere.headers().firstValue("Location")).hasValue("http://10.0.0.7:8070/v1/balances/far%20away");
        assertThat(nobody.statusCode()).isEqualTo(404);
    }

    @Test
    void aConsumerIdWithControlCharactersIs400NamingTheField() throws Exception {
        HttpResponse<String> response = get(guarded, "/v1/balances/a%0D%0Ab", "Authorization", "Bearer admin-1");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("field").asText()).isEqualTo("consumer");
    }
}
