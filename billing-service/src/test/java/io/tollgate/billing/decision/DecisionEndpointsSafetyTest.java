package io.tollgate.billing.decision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.MeterPrice;
import io.tollgate.billing.BillingServer;
import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.OpsRoutes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.tollgate.billing.decision.TestBalances.NOW;
import static io.tollgate.billing.decision.TestBalances.postpaid;
import static io.tollgate.billing.decision.TestBalances.prepaid;
import static io.tollgate.billing.decision.TestBalances.withUsage;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input and internal failures at the HTTP decision endpoints: estimates that would overflow, consumer ids
 * with control characters, a failing read model, and gateway tokens. Every answer is checked for its exact status,
 * reason and field, and none takes longer than a second.
 */
class DecisionEndpointsSafetyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> IDENTITY = List.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Generous, for a loaded CI machine; what must be fast is measured where it matters. */
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final MeterPrice GOLD = MeterPrice.newBuilder().setUnitPriceNanos(Long.MAX_VALUE).setPer(1).setIncluded(0)
            .setHardLimit(null).build();
    private static final InMemoryBalances BALANCES = new InMemoryBalances();
    private static BillingServer open;
    private static BillingServer tokens;
    private static BillingServer failing;

    @BeforeAll
    static void start() {
        BALANCES.put(withUsage(prepaid("acme", 25_000_000), "requests", 1600).build())
                .put(prepaid("luxury", 25_000_000).setMeters(Map.of("gold", GOLD)).build())
                .put(postpaid("unlimited", 0, null).setMeters(Map.of("gold", GOLD)).build())
                .put(prepaid("Zoë 日本", 25_000_000).build());
        open = start(BALANCES, BearerTokens.parse(""));
        tokens = start(BALANCES, BearerTokens.parse("gw-token-1, gw-token-2"));
        BalanceReader broken = consumer -> {
            if (consumer.equals("boom")) {
                throw new IllegalStateException("injected failure of the read model");
            }
            return BALANCES.get(consumer);
        };
        failing = start(broken, BearerTokens.parse(""));
        for (BillingServer server : List.of(open, tokens, failing)) {
            warmUp(server);
        }
    }

    /** One decision per server before the tests, so that class loading and JIT are not what a timing measures. */
    private static void warmUp(BillingServer server) {
        try {
            send(server, "POST", "/v1/decisions", "{\"consumer\":\"acme\"}", "Authorization", "Bearer gw-token-1");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("warm-up of the decision server failed", e);
        }
    }

    private static BillingServer start(BalanceReader balances, BearerTokens gatewayTokens) {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH, DecisionService.Settings.defaults(), () -> NOW);
        DecisionEndpoints endpoints = new DecisionEndpoints(service, new DecisionMetrics(metrics),
                new GatewayChecks(IDENTITY, "", gatewayTokens, Estimate.DEFAULT_MAX_UNITS), "");
        return BillingServer.start("127.0.0.1", 0, 1, metrics, OpsRoutes.Readiness::yes, endpoints, router -> { });
    }

    @AfterAll
    static void stop() {
        open.close();
        tokens.close();
        failing.close();
    }

    private static HttpResponse<String> send(BillingServer target, String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + path)).timeout(TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    // --- estimates that would overflow ---

    @Test
    void anEstimateOfLongMaxRequestsIs400NamingRequests() throws Exception {
        HttpResponse<String> header = send(open, "GET", "/v1/authorize", null, "X-Consumer-Id", "acme",
                "X-Usage-Estimate", "requests=9223372036854775807");
        HttpResponse<String> body = send(open, "POST", "/v1/decisions", "{\"consumer\":\"acme\",\"estimate\":{\"requests\":9223372036854775807}}");
        HttpResponse<String> beyondLong = send(open, "POST", "/v1/decisions", "{\"consumer\":\"acme\",\"estimate\":{\"requests\":99999999999999999999}}");

        assertThat(header.statusCode()).isEqualTo(400);
        assertThat(header.headers().firstValue("X-Tollgate-Reason")).hasValue("invalid_estimate");
        assertThat(json(header).path("detail").asText())
                .isEqualTo("X-Usage-Estimate: units of requests must be at most 1000000000000, not 9223372036854775807");
        assertThat(json(header).path("field").asText()).isEqualTo("X-Usage-Estimate");
        assertThat(body.statusCode()).isEqualTo(400);
        assertThat(json(body).path("detail").asText()).isEqualTo("estimate: units of requests must be at most 1000000000000, not 9223372036854775807");
        assertThat(json(body).path("field").asText()).isEqualTo("estimate");
        assertThat(beyondLong.statusCode()).isEqualTo(400);
        assertThat(json(beyondLong).path("detail").asText()).isEqualTo("estimate: units of requests must be at most 1000000000000, not 99999999999999999999");
    }

    @Test
    void anEstimateWithinTheBoundThatOverflowsPricingIsA402NeverANegativeCost() throws Exception {
        HttpResponse<String> denied = send(open, "GET", "/v1/authorize", null, "X-Consumer-Id", "luxury", "X-Usage-Estimate", "gold=1000000000000");
        HttpResponse<String> deniedJson = send(open, "POST", "/v1/decisions", "{\"consumer\":\"luxury\",\"estimate\":{\"gold\":1000000000000}}");
        HttpResponse<String> postpaid = send(open, "GET", "/v1/authorize", null, "X-Consumer-Id", "unlimited", "X-Usage-Estimate", "gold=1000000000000");
        HttpResponse<String> stillFunded = send(open, "GET", "/v1/authorize", null, "X-Consumer-Id", "luxury");

        assertThat(denied.statusCode()).isEqualTo(402);
        assertThat(json(denied).path("reason").asText()).isEqualTo("insufficient_credits");
        assertThat(json(denied).path("balance").asText()).isEqualTo("25.00");
        assertThat(deniedJson.statusCode()).isEqualTo(402);
        assertThat(postpaid.statusCode()).as("postpaid without a limit is never denied for money").isEqualTo(200);
        assertThat(stillFunded.statusCode()).isEqualTo(200);
        assertThat(stillFunded.headers().firstValue("X-Tollgate-Balance")).as("the denied call admitted nothing").hasValue("25.00");
    }

    // --- consumer ids ---

    @Test
    void aConsumerWithCrLfInTheJsonBodyIs400NamingTheFieldAndNeverReachesAHeader() throws Exception {
        HttpResponse<String> response = send(open, "POST", "/v1/decisions", "{\"consumer\":\"acme\\r\\nX-Admin: yes\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("X-Tollgate-Consumer")).isEmpty();
        assertThat(response.headers().firstValue("X-Admin")).isEmpty();
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("invalid_consumer");
        JsonNode body = json(response);
        assertThat(body.path("field").asText()).isEqualTo("consumer");
        assertThat(body.path("detail").asText()).startsWith("consumer has a control or invisible character (U+000D) at position 4;");
        assertThat(body.has("consumer")).isFalse();
    }

    @Test
    void aConsumerThatIsNotAStringOrTooLongIs400() throws Exception {
        HttpResponse<String> number = send(open, "POST", "/v1/decisions", "{\"consumer\":42}");
        HttpResponse<String> tooLong = send(open, "POST", "/v1/decisions", "{\"consumer\":\"" + "x".repeat(257) + "\"}");

        assertThat(number.statusCode()).isEqualTo(400);
        assertThat(json(number).path("reason").asText()).isEqualTo("invalid_consumer");
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(json(tooLong).path("detail").asText()).isEqualTo("consumer is longer than 256 characters.");
    }

    @Test
    void anIdentityHeaderWithAControlCharacterIs400NamingTheHeader() throws Exception {
        HttpResponse<String> response = send(open, "GET", "/v1/authorize", null, "X-Consumer-Id", "acme\tadmin");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).path("field").asText()).isEqualTo("X-Consumer-Id");
        assertThat(json(response).path("reason").asText()).isEqualTo("invalid_consumer");
        assertThat(response.headers().firstValue("X-Tollgate-Consumer")).isEmpty();
    }

    @Test
    void aDelCharacterInAnIdentityHeaderIs400OverARawConnection() throws Exception {
        String answer = raw(open, "GET /v1/authorize HTTP/1.1\r\nHost: x\r\nX-Consumer-Id: ac\u007Fme\r\nConnection: close\r\n\r\n");

        // refused by the HTTP decoder itself, before any handler: still a 400, never a 5xx or an echo
        assertThat(answer).startsWith("HTTP/1.1 400").doesNotContainIgnoringCase("X-Tollgate-Consumer");
    }

    @Test
    void aPrintableNonAsciiConsumerIsDecidedNormally() throws Exception {
        HttpResponse<String> response = send(open, "POST", "/v1/decisions", "{\"consumer\":\"Zoë 日本\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).path("consumer").asText()).isEqualTo("Zoë 日本");
    }

    // --- failures ---

    @Test
    void aFailureInsideTheServiceIsA500ProblemAtOnceOnEveryEndpoint() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> authorize = send(failing, "GET", "/v1/authorize/orders", null, "X-Consumer-Id", "boom");
        HttpResponse<String> decisions = send(failing, "POST", "/v1/decisions", "{\"consumer\":\"boom\"}");
        HttpResponse<String> nginx = send(failing, "GET", "/v1/authorize", null, "X-Consumer-Id", "boom", "X-Tollgate-Mode", "nginx");
        HttpResponse<String> healthy = send(failing, "GET", "/v1/authorize", null, "X-Consumer-Id", "acme");
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(authorize.statusCode()).isEqualTo(500);
        assertThat(authorize.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(authorize).path("reason").asText()).isEqualTo("internal_error");
        assertThat(json(authorize).path("detail").asText())
                .isEqualTo("Tollgate could not decide this call (IllegalStateException); it is logged.");
        assertThat(decisions.statusCode()).isEqualTo(500);
        assertThat(json(decisions).path("reason").asText()).isEqualTo("internal_error");
        assertThat(nginx.statusCode()).isEqualTo(403);
        assertThat(nginx.headers().firstValue("X-Tollgate-Status")).hasValue("500");
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(elapsedMillis).as("four answers, none waiting for a timeout").isLessThan(2_000);
        assertThat(send(failing, "GET", "/metrics", null).body())
                .containsPattern("tollgate_decisions_total\\{outcome=\"error\",reason=\"internal_error\"} [3-9]");
    }

    // --- gateway tokens ---

    @Test
    void withTokensConfiguredEveryDecisionEndpointWantsABearerToken() throws Exception {
        HttpResponse<String> none = send(tokens, "GET", "/v1/authorize", null, "X-Consumer-Id", "acme");
        HttpResponse<String> wrong = send(tokens, "GET", "/v1/authorize/deep/path", null, "X-Consumer-Id", "acme", "Authorization", "Bearer gw-token-3");
        HttpResponse<String> basic = send(tokens, "GET", "/v1/authorize", null, "X-Consumer-Id", "acme", "Authorization", "Basic Z3ctdG9rZW4tMQ==");
        HttpResponse<String> json = send(tokens, "POST", "/v1/decisions", "{\"consumer\":\"acme\"}");
        HttpResponse<String> nginx = send(tokens, "GET", "/v1/authorize", null, "X-Consumer-Id", "acme", "X-Tollgate-Mode", "nginx");

        for (HttpResponse<String> response : List.of(none, wrong, basic, json, nginx)) {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("invalid_token");
            assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tollgate-decisions\"");
            assertThat(json(response).path("field").asText()).isEqualTo("Authorization");
            assertThat(response.headers().firstValue("X-Tollgate-Consumer")).isEmpty();
        }
        assertThat(json(none).path("detail").asText())
                .isEqualTo("Decisions require Authorization: Bearer <decision token> (one of TOLLGATE_DECISION_TOKENS).");
        assertThat(json(wrong).path("detail").asText()).isEqualTo("The bearer token is not one of TOLLGATE_DECISION_TOKENS.");
    }

    @Test
    void withTokensConfiguredEachTokenIsAccepted() throws Exception {
        HttpResponse<String> first = send(tokens, "GET", "/v1/authorize", null, "X-Consumer-Id", "acme", "Authorization", "Bearer gw-token-1");
        HttpResponse<String> second = send(tokens, "POST", "/v1/decisions", "{\"consumer\":\"acme\"}", "Authorization", "Bearer gw-token-2");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Tollgate-Consumer")).hasValue("acme");
        assertThat(second.statusCode()).isEqualTo(200);
    }

    @Test
    void anUnauthenticatedDecisionWithAHugeBodyIs401BeforeTheBodyIsRead() throws Exception {
        // 50 MB announced, 1 KiB sent: the answer must come without waiting for (or buffering) the rest
        String answer = raw(tokens, "POST /v1/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 50000000\r\n\r\n" + "{\"consumer\":\"" + "a".repeat(1024));

        assertThat(answer).startsWith("HTTP/1.1 401").contains("invalid_token");
    }

    /** Sends {@code request} as is and reads the answer until the server closes, the body is complete, or 5 s pass. */
    private static String raw(BillingServer target, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", target.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    answer.write(buffer, 0, n);
                    if (Optional.of(answer.toString(StandardCharsets.ISO_8859_1)).filter(a -> a.contains("\r\n\r\n{") && a.endsWith("}")).isPresent()) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                // what arrived in time is the answer
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
