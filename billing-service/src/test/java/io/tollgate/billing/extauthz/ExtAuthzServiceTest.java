package io.tollgate.billing.extauthz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.Code;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.billing.decision.DecisionMetrics;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.Freshness;
import io.tollgate.billing.decision.InMemoryBalances;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** A gRPC client against the ext_authz server on a free port, as Envoy would call it. */
class ExtAuthzServiceTest {
    private static final long NOW = Instant.parse("2026-11-21T10:00:01Z").toEpochMilli();
    private static final String AS_OF = "2026-11-21T10:00:00.250Z";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ExtAuthzServer server;
    private static ManagedChannel channel;
    private static AuthorizationGrpc.AuthorizationBlockingStub client;
    private static PrometheusMeterRegistry metrics;

    @BeforeAll
    static void start() {
        InMemoryBalances balances = new InMemoryBalances().put(balance("acme", 25_000_000)).put(balance("broke", 0));
        metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH, DecisionService.Settings.defaults(), () -> NOW);
        server = ExtAuthzServer.start("127.0.0.1", 0, new ExtAuthzService(service, new DecisionMetrics(metrics),
                List.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username"), "https://billing.example/top-up/{consumer}", ""));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        client = AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static Balance balance(String consumer, long remainingMicros) {
        return Balance.newBuilder().setConsumer(consumer).setPlan("pro").setStatus("active").setBilling("prepaid").setCurrency("USD")
                .setPeriod("2026-11").setCreditsMicros(remainingMicros).setSpentMicros(0).setRemainingMicros(remainingMicros)
                .setSpendLimitMicros(null).setUsage(Map.of("requests", 2000L)).setAmounts(Map.of())
                .setMeters(Map.of("requests", MeterPrice.newBuilder().setUnitPriceNanos(2_000_000).setPer(1).setIncluded(1000)
                        .setHardLimit(null).build()))
                .setVersion(1).setLastEventTime(null).setUpdatedAt(Instant.parse(AS_OF)).build();
    }

    private static CheckResponse check(Map<String, String> headers) {
        return client.check(CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("POST").setPath("/v1/orders").putAllHeaders(headers)))).build());
    }

    private static Map<String, String> headers(List<HeaderValueOption> options) {
        return options.stream().collect(Collectors.toMap(o -> o.getHeader().getKey(), o -> o.getHeader().getValue()));
    }

    @Test
    void allowsAFundedConsumerWithTheTollgateHeadersForTheUpstream() {
        CheckResponse response = check(Map.of("x-consumer-id", "acme", ":path", "/v1/orders"));

        assertThat(response.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
        assertThat(response.hasDeniedResponse()).isFalse();
        assertThat(headers(response.getOkResponse().getHeadersList()))
                .isEqualTo(Map.of("x-tollgate-consumer", "acme", "x-tollgate-balance", "24.998"));
        assertThat(response.getDynamicMetadata().getFieldsMap().get("consumer").getStringValue()).isEqualTo("acme");
    }

    @Test
    void deniesWithPaymentRequiredTheProblemBodyAndTheReason() throws Exception {
        CheckResponse response = check(Map.of("x-consumer-id", "broke"));

        assertThat(response.getStatus().getCode()).isEqualTo(Code.PERMISSION_DENIED_VALUE);
        assertThat(response.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.PaymentRequired);
        assertThat(headers(response.getDeniedResponse().getHeadersList()))
                .isEqualTo(Map.of("content-type", "application/problem+json", "x-tollgate-reason", "insufficient_credits"));
        JsonNode body = JSON.readTree(response.getDeniedResponse().getBody());
        assertThat(body).isEqualTo(JSON.readTree("{\"type\":\"https://tollgate.dev/problems/insufficient-credits\","
                + "\"title\":\"Insufficient credits\",\"status\":402,\"detail\":\"No credits remain.\",\"reason\":\"insufficient_credits\","
                + "\"consumer\":\"broke\",\"balance\":\"0.00\",\"currency\":\"USD\",\"asOf\":\"" + AS_OF + "\","
                + "\"topUpUrl\":\"https://billing.example/top-up/broke\"}"));
        assertThat(response.getDynamicMetadata().getFieldsMap().get("consumer").getStringValue()).isEqualTo("broke");
        assertThat(response.getDynamicMetadata().getFieldsMap().get("reason").getStringValue()).isEqualTo("insufficient_credits");
    }

    @Test
    void answersUnauthorizedWithoutIdentityAndForbiddenForAnUnknownConsumer() {
        CheckResponse anonymous = check(Map.of());
        CheckResponse unknown = check(Map.of("x-consumer-username", "ghost"));

        assertThat(anonymous.getStatus().getCode()).isEqualTo(Code.UNAUTHENTICATED_VALUE);
        assertThat(anonymous.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.Unauthorized);
        assertThat(unknown.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.Forbidden);
        assertThat(headers(unknown.getDeniedResponse().getHeadersList())).containsEntry("x-tollgate-reason", "unknown_consumer");
    }

    @Test
    void rejectsAMalformedEstimateWith400AndCountsIt() {
        CheckResponse malformed = check(Map.of("x-consumer-id", "acme", "x-usage-estimate", "requests=many"));

        assertThat(malformed.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.BadRequest);
        assertThat(headers(malformed.getDeniedResponse().getHeadersList())).containsEntry("x-tollgate-reason", "invalid_estimate");
        assertThat(metrics.scrape()).containsPattern("tollgate_decisions_total\\{outcome=\"deny\",reason=\"invalid_estimate\"} [1-9]");
    }
}
