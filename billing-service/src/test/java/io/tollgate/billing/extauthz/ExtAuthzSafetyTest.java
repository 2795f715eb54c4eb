package io.tollgate.billing.extauthz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.rpc.Code;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.billing.decision.BalanceReader;
import io.tollgate.billing.decision.DecisionMetrics;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.Estimate;
import io.tollgate.billing.decision.Freshness;
import io.tollgate.billing.decision.GatewayChecks;
import io.tollgate.billing.decision.InMemoryBalances;
import io.tollgate.runtime.BearerTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** ext_authz over gRPC with gateway tokens, hostile headers and a failing read model, as Envoy would call it. */
class ExtAuthzSafetyTest {
    private static final long NOW = Instant.parse("2026-11-21T10:00:01Z").toEpochMilli();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> IDENTITY = List.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username");
    private static ExtAuthzServer server;
    private static ManagedChannel channel;
    private static PrometheusMeterRegistry metrics;

    @BeforeAll
    static void start() {
        InMemoryBalances balances = new InMemoryBalances().put(balance("acme", 25_000_000));
        BalanceReader failing = consumer -> {
            if (consumer.equals("boom")) {
                throw new IllegalStateException("injected failure of the read model");
            }
            return balances.get(consumer);
        };
        metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DecisionService service = new DecisionService(failing, Freshness.ALWAYS_FRESH, DecisionService.Settings.defaults(), () -> NOW);
        server = ExtAuthzServer.start("127.0.0.1", 0, new ExtAuthzService(service, new DecisionMetrics(metrics),
                new GatewayChecks(IDENTITY, "", BearerTokens.parse("envoy-token"), Estimate.DEFAULT_MAX_UNITS), ""));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        client("Bearer envoy-token").check(request(Map.of("x-consumer-id", "acme"))); // connection, class loading, JIT
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
                .setVersion(1).setLastEventTime(null).setUpdatedAt(Instant.parse("2026-11-21T10:00:00.250Z")).build();
    }

    private static AuthorizationGrpc.AuthorizationBlockingStub client(String authorization) {
        AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        if (authorization == null) {
            return stub;
        }
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    private static CheckRequest request(Map<String, String> headers) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("GET").setPath("/v1/orders").putAllHeaders(headers)))).build();
    }

    @Test
    void aCallWithoutTheGatewayTokenFailsUnauthenticated() {
        StatusRuntimeException none = catchThrowableOfType(
                () -> client(null).check(request(Map.of("x-consumer-id", "acme"))), StatusRuntimeException.class);
        StatusRuntimeException wrong = catchThrowableOfType(
                () -> client("Bearer guess").check(request(Map.of("x-consumer-id", "acme"))), StatusRuntimeException.class);

        assertThat(none.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
        assertThat(none.getStatus().getDescription())
                .isEqualTo("Decisions require Authorization: Bearer <decision token> (one of TOLLGATE_DECISION_TOKENS).");
        assertThat(wrong.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
        assertThat(metrics.scrape()).containsPattern("tollgate_decisions_total\\{outcome=\"deny\",reason=\"invalid_token\"} [2-9]");
    }

    @Test
    void theEndUsersAuthorizationHeaderIsNotTheGatewaysToken() {
        StatusRuntimeException forged = catchThrowableOfType(
                () -> client(null).check(request(Map.of("x-consumer-id", "acme", "authorization", "Bearer envoy-token"))),
                StatusRuntimeException.class);

        assertThat(forged.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
    }

    @Test
    void aCallWithTheGatewayTokenIsDecided() {
        CheckResponse response = client("Bearer envoy-token").check(request(Map.of("x-consumer-id", "acme")));

        assertThat(response.getStatus().getCode()).isEqualTo(Code.OK_VALUE);
    }

    @Test
    void anOverflowingEstimateIs400NamingTheMeter() throws Exception {
        CheckResponse response = client("Bearer envoy-token").check(request(Map.of("x-consumer-id", "acme",
                "x-usage-estimate", "requests=9223372036854775807")));

        assertThat(response.getStatus().getCode()).isEqualTo(Code.INVALID_ARGUMENT_VALUE);
        assertThat(response.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.BadRequest);
        JsonNode body = JSON.readTree(response.getDeniedResponse().getBody());
        assertThat(body.path("reason").asText()).isEqualTo("invalid_estimate");
        assertThat(body.path("detail").asText()).isEqualTo("X-Usage-Estimate: units of requests must be at most 1000000000000, not 9223372036854775807");
    }

    @Test
    void aConsumerWithControlCharactersIs400NamingTheHeader() throws Exception {
        CheckResponse response = client("Bearer envoy-token").check(request(Map.of("x-consumer-username", "acme\r\nx-admin: 1")));

        assertThat(response.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.BadRequest);
        JsonNode body = JSON.readTree(response.getDeniedResponse().getBody());
        assertThat(body.path("reason").asText()).isEqualTo("invalid_consumer");
        assertThat(body.path("field").asText()).isEqualTo("X-Consumer-Username");
        assertThat(response.getDynamicMetadata().getFieldsMap()).doesNotContainKey("consumer");
    }

    @Test
    void aFailureInsideTheServiceIsA500ProblemNotASilentCall() throws Exception {
        long start = System.nanoTime();
        CheckResponse response = client("Bearer envoy-token").check(request(Map.of("x-consumer-id", "boom")));

        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_000);
        assertThat(response.getStatus().getCode()).isEqualTo(Code.INTERNAL_VALUE);
        assertThat(response.getDeniedResponse().getStatus().getCode()).isEqualTo(StatusCode.InternalServerError);
        JsonNode body = JSON.readTree(response.getDeniedResponse().getBody());
        assertThat(body.path("status").asInt()).isEqualTo(500);
        assertThat(body.path("reason").asText()).isEqualTo("internal_error");
    }
}
