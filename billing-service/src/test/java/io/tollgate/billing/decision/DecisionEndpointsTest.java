package io.tollgate.billing.decision;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.billing.BillingServer;
import io.tollgate.runtime.OpsRoutes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.tollgate.billing.decision.TestBalances.NOW;
import static io.tollgate.billing.decision.TestBalances.postpaid;
import static io.tollgate.billing.decision.TestBalances.prepaid;
import static io.tollgate.billing.decision.TestBalances.withUsage;
import static org.assertj.core.api.Assertions.assertThat;

/** Every status and body of the decision endpoints, over HTTP against the server on a free port. */
class DecisionEndpointsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> IDENTITY = List.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username");
    private static final String AS_OF = "2026-11-21T10:00:00.250Z";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final InMemoryBalances BALANCES = new InMemoryBalances();
    private static BillingServer server;
    private static BillingServer guarded;

    @BeforeAll
    static void start() {
        BALANCES.put(withUsage(prepaid("acme", 25_000_000), "requests", 1600).build())
                .put(withUsage(prepaid("estimator", 25_000_000), "requests", 1600).build())
                .put(prepaid("custom", 25_000_000).build())
                .put(prepaid("json", 25_000_000).build())
                .put(prepaid("broke", 0).build())
                .put(prepaid("broke & co", 0).build())
                .put(prepaid("paused", 25_000_000).setStatus("suspended").build())
                .put(postpaid("capped", 500_000_000, 500_000_000L).build())
                .put(withUsage(prepaid("greedy", 25_000_000), "output_tokens", 4_999_000).build());
        server = start("https://billing.example/top-up/{consumer}", "");
        guarded = start("", "s3cret");
    }

    private static BillingServer start(String topUpUrl, String secret) {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DecisionService service = new DecisionService(BALANCES, Freshness.ALWAYS_FRESH, DecisionService.Settings.defaults(), () -> NOW);
        DecisionEndpoints endpoints = new DecisionEndpoints(service, new DecisionMetrics(metrics), IDENTITY, topUpUrl, secret);
        return BillingServer.start("127.0.0.1", 0, 1, metrics, OpsRoutes.Readiness::yes, endpoints, router -> { });
    }

    @AfterAll
    static void stop() {
        server.close();
        guarded.close();
    }

    private static HttpResponse<String> send(BillingServer target, String method, String path, String body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> authorize(String... headers) throws IOException, InterruptedException {
        return send(server, "GET", "/v1/authorize", null, headers);
    }

    private static Map<String, Object> json(HttpResponse<String> response) throws IOException {
        return JSON.readValue(response.body(), JSON.getTypeFactory().constructMapType(Map.class, String.class, Object.class));
    }

    private static Map<String, Object> problem(int status, String reason, String title, String detail, String consumer, String balance) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "https://tollgate.dev/problems/" + reason.replace('_', '-'));
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.put("reason", reason);
        if (consumer != null) {
            body.put("consumer", consumer);
        }
        if (balance != null) {
            body.put("balance", balance);
            body.put("currency", "USD");
            body.put("asOf", AS_OF);
        }
        return body;
    }

    @Test
    void allowsAFundedConsumerWithExactly200AndTheTollgateHeaders() throws Exception {
        HttpResponse<String> response = authorize("X-Consumer-Id", "acme");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Tollgate-Consumer")).hasValue("acme");
        assertThat(response.headers().firstValue("X-Tollgate-Balance")).hasValue("24.998");
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).isEmpty();
        assertThat(response.body()).isEmpty();
    }

    @Test
    void answersEveryMethodAndPathUnderAuthorize() throws Exception {
        HttpResponse<String> response = send(server, "POST", "/v1/authorize/orders/42?x=1", "{\"any\":1}", "X-Consumer-Username", "custom");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Tollgate-Consumer")).hasValue("custom");
        assertThat(send(server, "GET", "/v1/authorizedx", null, "X-Consumer-Id", "custom").statusCode()).isEqualTo(404);
    }

    @Test
    void takesTheFirstNonEmptyIdentityHeader() throws Exception {
        HttpResponse<String> response = authorize("X-Consumer-Id", " ", "X-Consumer-Custom-Id", "custom", "X-Consumer-Username", "acme");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Tollgate-Consumer")).hasValue("custom");
    }

    @Test
    void answers401WithoutIdentity() throws Exception {
        HttpResponse<String> response = authorize();

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("missing_consumer");
        assertThat(json(response)).isEqualTo(problem(401, "missing_consumer", "Consumer not identified",
                "None of the identity headers is set: X-Consumer-Id, X-Consumer-Custom-Id, X-Consumer-Username.", null, null));
    }

    @Test
    void answers403ForAnUnknownConsumer() throws Exception {
        HttpResponse<String> response = authorize("X-Consumer-Id", "ghost");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("unknown_consumer");
        assertThat(json(response)).isEqualTo(problem(403, "unknown_consumer", "Unknown consumer",
                "No balance is known for consumer ghost.", "ghost", null));
    }

    @Test
    void answers402WithTheProblemBodyWhenNoCreditsRemain() throws Exception {
        HttpResponse<String> response = authorize("X-Consumer-Id", "broke");

        assertThat(response.statusCode()).isEqualTo(402);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("insufficient_credits");
        Map<String, Object> expected = problem(402, "insufficient_credits", "Insufficient credits", "No credits remain.", "broke", "0.00");
        expected.put("topUpUrl", "https://billing.example/top-up/broke");
        assertThat(json(response)).isEqualTo(expected);
    }

    @Test
    void encodesTheConsumerInTheTopUpUrl() throws Exception {
        HttpResponse<String> response = send(server, "POST", "/v1/decisions", "{\"consumer\":\"broke & co\"}");

        assertThat(json(response)).containsEntry("topUpUrl", "https://billing.example/top-up/broke+%26+co");
    }

    @Test
    void answers402WhenTheEstimateIsMoreThanWhatRemains() throws Exception {
        HttpResponse<String> response = authorize("X-Consumer-Id", "estimator", "X-Usage-Estimate", "input_tokens=100000000,output_tokens=500");

        assertThat(response.statusCode()).isEqualTo(402);
        assertThat(json(response)).isEqualTo(withTopUp(problem(402, "insufficient_credits", "Insufficient credits",
                "This call is estimated at 50.00275 USD but only 25.00 USD remain.", "estimator", "25.00"), "estimator"));
    }

    @Test
    void answers402ForEachPaymentReason() throws Exception {
        assertThat(json(authorize("X-Consumer-Id", "paused"))).isEqualTo(withTopUp(problem(402, "subscription_inactive",
                "Subscription inactive", "The subscription of paused is suspended.", "paused", "25.00"), "paused"));
        assertThat(json(authorize("X-Consumer-Id", "capped"))).isEqualTo(withTopUp(problem(402, "spend_limit_reached",
                "Spend limit reached", "The spend limit of this period is reached.", "capped", "0.00"), "capped"));
        HttpResponse<String> quota = authorize("X-Consumer-Id", "greedy", "X-Usage-Estimate", "output_tokens=1001");
        assertThat(quota.statusCode()).isEqualTo(402);
        assertThat(quota.headers().firstValue("X-Tollgate-Reason")).hasValue("quota_exceeded");
        assertThat(json(quota)).isEqualTo(withTopUp(problem(402, "quota_exceeded", "Quota exceeded",
                "Meter output_tokens has used 4999000 of its 5000000 units this period and this call declares 1001.", "greedy", "25.00"), "greedy"));
    }

    private static Map<String, Object> withTopUp(Map<String, Object> body, String consumer) {
        body.put("topUpUrl", "https://billing.example/top-up/" + consumer);
        return body;
    }

    @Test
    void nginxModeTurns402Into403AndCarriesTheStatusReasonAndBodyInHeaders() throws Exception {
        HttpResponse<String> response = authorize("X-Consumer-Id", "broke", "X-Tollgate-Mode", "nginx");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("X-Tollgate-Status")).hasValue("402");
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("insufficient_credits");
        assertThat(JSON.readTree(response.headers().firstValue("X-Tollgate-Problem").orElseThrow())).isEqualTo(JSON.readTree(response.body()));
        assertThat(json(response)).containsEntry("status", 402);
    }

    @Test
    void nginxModeKeeps401And403AndAllowsUnchanged() throws Exception {
        HttpResponse<String> missing = authorize("X-Tollgate-Mode", "nginx");
        HttpResponse<String> unknown = authorize("X-Consumer-Id", "ghost", "X-Tollgate-Mode", "nginx");
        HttpResponse<String> allowed = authorize("X-Consumer-Id", "custom", "X-Tollgate-Mode", "nginx");

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("X-Tollgate-Status")).hasValue("401");
        assertThat(unknown.statusCode()).isEqualTo(403);
        assertThat(unknown.headers().firstValue("X-Tollgate-Status")).hasValue("403");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("X-Tollgate-Status")).isEmpty();
    }

    @Test
    void answers400ForAMalformedEstimateAnd403InNginxMode() throws Exception {
        HttpResponse<String> response = authorize("X-Consumer-Id", "acme", "X-Usage-Estimate", "input_tokens=lots");
        HttpResponse<String> nginx = authorize("X-Consumer-Id", "acme", "X-Usage-Estimate", "input_tokens=lots", "X-Tollgate-Mode", "nginx");

        assertThat(response.statusCode()).isEqualTo(400);
        Map<String, Object> expected = problem(400, "invalid_estimate", "Invalid usage estimate",
                "X-Usage-Estimate: units of input_tokens must be a non-negative integer: \"lots\"", "acme", null);
        expected.put("field", "X-Usage-Estimate");
        assertThat(json(response)).isEqualTo(expected);
        assertThat(nginx.statusCode()).isEqualTo(403);
        assertThat(nginx.headers().firstValue("X-Tollgate-Status")).hasValue("400");
    }

    @Test
    void decisionsJsonAllowsWithTheBalanceAndItsTime() throws Exception {
        HttpResponse<String> response = send(server, "POST", "/v1/decisions",
                "{\"consumer\":\"json\",\"api\":\"orders\",\"estimate\":{\"input_tokens\":2000000}}", "Content-Type", "application/json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json(response)).isEqualTo(Map.of("allow", true, "consumer", "json", "balance", "24.00", "currency", "USD", "asOf", AS_OF));
    }

    @Test
    void decisionsJsonAnswersTheSameDenies() throws Exception {
        HttpResponse<String> broke = send(server, "POST", "/v1/decisions", "{\"consumer\":\"broke\",\"api\":\"orders\"}");
        HttpResponse<String> anonymous = send(server, "POST", "/v1/decisions", "{\"api\":\"orders\"}");
        HttpResponse<String> unknown = send(server, "POST", "/v1/decisions", "{\"consumer\":\"ghost\"}");
        HttpResponse<String> malformed = send(server, "POST", "/v1/decisions", "{\"consumer\":\"acme\",\"estimate\":{\"input_tokens\":1.5}}");
        HttpResponse<String> notJson = send(server, "POST", "/v1/decisions", "consumer=acme");

        assertThat(broke.statusCode()).isEqualTo(402);
        assertThat(json(broke)).isEqualTo(withTopUp(problem(402, "insufficient_credits", "Insufficient credits", "No credits remain.",
                "broke", "0.00"), "broke"));
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(json(anonymous)).containsEntry("reason", "missing_consumer");
        assertThat(unknown.statusCode()).isEqualTo(403);
        assertThat(json(unknown)).containsEntry("reason", "unknown_consumer");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(json(malformed)).containsEntry("detail", "estimate: units of input_tokens must be a non-negative integer");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(json(notJson)).containsEntry("reason", "invalid_request").containsEntry("field", "body");
    }

    @Test
    void aConfiguredSecretIsRequired() throws Exception {
        HttpResponse<String> without = send(guarded, "GET", "/v1/authorize", null, "X-Consumer-Id", "custom");
        HttpResponse<String> wrong = send(guarded, "GET", "/v1/authorize", null, "X-Consumer-Id", "custom", "X-Tollgate-Secret", "guess");
        HttpResponse<String> right = send(guarded, "GET", "/v1/authorize", null, "X-Consumer-Id", "custom", "X-Tollgate-Secret", "s3cret");

        assertThat(without.statusCode()).isEqualTo(401);
        Map<String, Object> expected = problem(401, "invalid_secret", "Invalid decision secret",
                "Header X-Tollgate-Secret is missing or wrong.", null, null);
        expected.put("field", "X-Tollgate-Secret");
        assertThat(json(without)).isEqualTo(expected);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(right.statusCode()).isEqualTo(200);
    }

    @Test
    void servesHealthReadinessAndDecisionMetrics() throws Exception {
        authorize("X-Consumer-Id", "broke");

        assertThat(send(server, "GET", "/healthz", null).statusCode()).isEqualTo(200);
        assertThat(send(server, "GET", "/readyz", null).body()).isEqualTo("{\"ready\":true,\"detail\":\"ready\"}");
        String metrics = send(server, "GET", "/metrics", null).body();
        assertThat(metrics).containsPattern("tollgate_decisions_total\\{outcome=\"deny\",reason=\"insufficient_credits\"} [1-9]")
                .contains("tollgate_decision_duration_seconds_bucket{le=");
    }
}
