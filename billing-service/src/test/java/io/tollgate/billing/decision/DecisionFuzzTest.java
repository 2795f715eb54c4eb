package io.tollgate.billing.decision;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.billing.BillingServer;
import io.tollgate.billing.extauthz.ExtAuthzServer;
import io.tollgate.billing.extauthz.ExtAuthzService;
import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.OpsRoutes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static io.tollgate.billing.decision.TestBalances.NOW;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzes every decision endpoint ({@code /v1/authorize}, {@code /v1/authorize/**}, {@code POST /v1/decisions} and
 * ext_authz {@code Check} over gRPC) of a real HTTP server and a real gRPC server that share one decision service
 * over a prefilled read model, with random and malformed headers, bodies, raw bytes and CheckRequests, mixed with good
 * asks. Every request must be answered within a second and never with a 5xx. Good asks must decide exactly as
 * {@link DecisionRules} does on the same balance, given everything admitted before them, which a model here tracks:
 * the clock is fixed and the balances never change, so admissions only add up. A good ask's remaining balance is never
 * above the balance's own: admissions never go negative.
 */
class DecisionFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "fuzz-gateway-token";
    private static final List<String> IDENTITY = List.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username");
    private static final Duration ANSWER_WITHIN = Duration.ofSeconds(1);
    private static final CurrentPeriods PERIODS = CurrentPeriods.at(NOW);
    private static final MeterPrice GOLD = MeterPrice.newBuilder().setUnitPriceNanos(Long.MAX_VALUE / 3).setPer(1).setIncluded(0)
            .setHardLimit(null).build();
    private static final List<String> METERS = List.of("requests", "input_tokens", "output_tokens", "gold", "images");

    private static final Map<String, Balance> BALANCES = new LinkedHashMap<>();
    private static final Map<String, Admissions> MODEL = new ConcurrentHashMap<>();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();
    private static BillingServer http;
    private static ExtAuthzServer grpc;
    private static ManagedChannel channel;

    /** What the service should have admitted for one consumer so far: the sum of the allowed asks' costs and units. */
    private static final class Admissions implements Admitted {
        long micros;
        final Map<String, Long> units = new HashMap<>();

        @Override
        public long micros() {
            return micros;
        }

        @Override
        public long units(String meter) {
            return units.getOrDefault(meter, 0L);
        }

        void admit(Decision decision, Estimate effective) {
            micros = Saturating.add(micros, decision.costMicros());
            for (int i = 0; i < effective.size(); i++) {
                units.merge(effective.meter(i), effective.units(i), Saturating::add);
            }
        }
    }

    @BeforeContainer
    static void start() {
        put(TestBalances.prepaid("funded", 1_000_000_000_000L));
        put(TestBalances.withUsage(TestBalances.prepaid("thin", 50_000), "requests", 2000));
        put(TestBalances.prepaid("broke", 0));
        put(TestBalances.withUsage(TestBalances.prepaid("quota", 25_000_000), "output_tokens", 4_990_000));
        put(TestBalances.postpaid("capped", 499_000_000, 500_000_000L));
        put(TestBalances.postpaid("open", 1_000_000, null));
        put(TestBalances.prepaid("paused", 25_000_000).setStatus("suspended"));
        put(TestBalances.prepaid("drifter", 0).setStatus("unknown").setPlan(null).setCurrency("XXX").setMeters(new HashMap<>()));
        Map<String, MeterPrice> luxury = new HashMap<>(TestBalances.proMeters());
        luxury.put("gold", GOLD);
        put(TestBalances.prepaid("luxury", Long.MAX_VALUE / 2).setMeters(luxury));
        put(TestBalances.postpaid("open-luxury", 0, null).setMeters(new HashMap<>(luxury)));
        InMemoryBalances balances = new InMemoryBalances(() -> NOW);
        BALANCES.values().forEach(balances::put);

        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH, DecisionService.Settings.defaults(), () -> NOW);
        DecisionMetrics decisionMetrics = new DecisionMetrics(metrics);
        GatewayChecks checks = new GatewayChecks(IDENTITY, "", BearerTokens.parse(TOKEN), Estimate.DEFAULT_MAX_UNITS);
        http = BillingServer.start("127.0.0.1", 0, 2, metrics, OpsRoutes.Readiness::yes,
                new DecisionEndpoints(service, decisionMetrics, checks, "https://billing.example/top-up/{consumer}"), router -> { });
        grpc = ExtAuthzServer.start("127.0.0.1", 0, new ExtAuthzService(service, decisionMetrics, checks, ""));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
        warmUp();
    }

    private static void put(Balance.Builder balance) {
        Balance built = balance.build();
        BALANCES.put(built.getConsumer(), built);
    }

    /** Class loading, connections and JIT before anything is timed: a ghost never admits anything. */
    private static void warmUp() {
        for (int i = 0; i < 200; i++) {
            try {
                HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/authorize")).header("X-Consumer-Id", "ghost")
                        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/decisions")).POST(HttpRequest.BodyPublishers.ofString("{\"consumer\":\"ghost\"}"))
                        .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                grpcClient(TOKEN, Duration.ofSeconds(30)).check(checkRequest(Map.of("x-consumer-id", "ghost"), "/warm"));
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("warm-up failed", e);
            }
        }
    }

    @AfterContainer
    static void stop() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        grpc.close();
        http.close();
    }

    private static String base() {
        return "http://127.0.0.1:" + http.port();
    }

    // ------------------------------------------------------------------ the property

    @Property(tries = 400)
    void everyAskIsAnsweredWithinASecondNeverWithA5xxAndGoodAsksDecideAsTheRules(@ForAll("asks") List<Ask> asks)
            throws Exception {
        for (Ask ask : asks) {
            Statistics.label("asks").collect(ask.getClass().getSimpleName());
            long start = System.nanoTime();
            ask.run();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("answer time of " + ask).isLessThan(ANSWER_WITHIN);
        }
    }

    /** One request to one endpoint, with its own checks. */
    interface Ask {
        void run() throws Exception;
    }

    @Provide
    Arbitrary<List<Ask>> asks() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, goodAsks()),
                net.jqwik.api.Tuple.of(2, badEstimates()),
                net.jqwik.api.Tuple.of(1, badConsumers()),
                net.jqwik.api.Tuple.of(2, headerFuzz()),
                net.jqwik.api.Tuple.of(2, jsonFuzz()),
                net.jqwik.api.Tuple.of(2, grpcFuzz()),
                net.jqwik.api.Tuple.of(1, rawFuzz())).list().ofMaxSize(12);
    }

    // ------------------------------------------------------------------ good asks

    enum Endpoint { AUTHORIZE, AUTHORIZE_PATH, NGINX, DECISIONS, GRPC }

    record GoodAsk(Endpoint endpoint, String consumer, String identityHeader, Map<String, Long> estimate) implements Ask {
        @Override
        public void run() throws Exception {
            Estimate parsed = Estimate.of(estimate);
            Balance balance = BALANCES.get(consumer);
            Expected expected;
            Admissions admitted = MODEL.computeIfAbsent(consumer, c -> new Admissions());
            if (balance == null || DecisionRules.isUnknown(balance)) {
                expected = new Expected(Reason.UNKNOWN_CONSUMER, null, false);
            } else {
                Decision decision = DecisionRules.decide(balance, parsed, admitted, PERIODS);
                Statistics.label("good asks").collect(decision.allowed() ? "allow" : decision.reason().code());
                expected = new Expected(decision.reason(), MicrosText.format(decision.remainingMicros()), decision.allowed());
                if (decision.allowed()) {
                    if (!"postpaid".equals(balance.getBilling())) {
                        assertThat(decision.remainingMicros()).as("admissions never make a balance grow")
                                .isLessThanOrEqualTo(balance.getRemainingMicros());
                    }
                    admitted.admit(decision, parsed.effective());
                }
            }
            switch (endpoint) {
                case AUTHORIZE, AUTHORIZE_PATH, NGINX -> checkForwardAuth(expected);
                case DECISIONS -> checkJson(expected);
                case GRPC -> checkGrpc(expected);
            }
        }

        private String estimateHeader() {
            return estimate.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
        }

        private void checkForwardAuth(Expected expected) throws Exception {
            String path = endpoint == Endpoint.AUTHORIZE_PATH ? "/v1/authorize/orders/42?page=2" : "/v1/authorize";
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(ANSWER_WITHIN)
                    .header(identityHeader, consumer).header("Authorization", "Bearer " + TOKEN);
            if (!estimate.isEmpty()) {
                request.header("X-Usage-Estimate", estimateHeader());
            }
            if (endpoint == Endpoint.NGINX) {
                request.header("X-Tollgate-Mode", "nginx");
            }
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (expected.allowed()) {
                assertThat(response.statusCode()).as(toString()).isEqualTo(200);
                assertThat(response.headers().firstValue("X-Tollgate-Balance")).as(toString()).hasValue(expected.balance());
                assertThat(response.headers().firstValue("X-Tollgate-Consumer")).hasValue(consumer);
                return;
            }
            int status = expected.reason().status();
            assertThat(response.statusCode()).as(toString()).isEqualTo(endpoint == Endpoint.NGINX && status != 401 ? 403 : status);
            assertThat(response.headers().firstValue("X-Tollgate-Reason")).as(toString()).hasValue(expected.reason().code());
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("status").asInt()).isEqualTo(status);
            if (expected.balance() != null) {
                assertThat(body.path("balance").asText()).as(toString()).isEqualTo(expected.balance());
            }
        }

        private void checkJson(Expected expected) throws Exception {
            ObjectNode body = JSON.createObjectNode().put("consumer", consumer).put("api", "orders");
            if (!estimate.isEmpty()) {
                ObjectNode units = body.putObject("estimate");
                estimate.forEach(units::put);
            }
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/decisions")).timeout(ANSWER_WITHIN)
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode answer = JSON.readTree(response.body());
            if (expected.allowed()) {
                assertThat(response.statusCode()).as(toString()).isEqualTo(200);
                assertThat(answer.path("balance").asText()).as(toString()).isEqualTo(expected.balance());
                return;
            }
            assertThat(response.statusCode()).as(toString()).isEqualTo(expected.reason().status());
            assertThat(answer.path("reason").asText()).as(toString()).isEqualTo(expected.reason().code());
            if (expected.balance() != null) {
                assertThat(answer.path("balance").asText()).as(toString()).isEqualTo(expected.balance());
            }
        }

        private void checkGrpc(Expected expected) throws Exception {
            Map<String, String> headers = new HashMap<>();
            headers.put(identityHeader.toLowerCase(java.util.Locale.ROOT), consumer);
            if (!estimate.isEmpty()) {
                headers.put("x-usage-estimate", estimateHeader());
            }
            CheckResponse response = grpcClient(TOKEN, ANSWER_WITHIN).check(checkRequest(headers, "/v1/orders"));
            if (expected.allowed()) {
                assertThat(response.getStatus().getCode()).as(toString()).isEqualTo(com.google.rpc.Code.OK_VALUE);
                assertThat(headerMap(response.getOkResponse().getHeadersList())).as(toString())
                        .containsEntry("x-tollgate-balance", expected.balance());
                return;
            }
            assertThat(response.getDeniedResponse().getStatus().getCodeValue()).as(toString()).isEqualTo(expected.reason().status());
            JsonNode body = JSON.readTree(response.getDeniedResponse().getBody());
            assertThat(body.path("reason").asText()).as(toString()).isEqualTo(expected.reason().code());
            if (expected.balance() != null) {
                assertThat(body.path("balance").asText()).as(toString()).isEqualTo(expected.balance());
            }
        }
    }

    /** What the rules say: allowed with the balance left, or denied for a reason (with the balance, when one is shown). */
    record Expected(Reason reason, String balance, boolean allowed) {
    }

    private static Arbitrary<Ask> goodAsks() {
        Arbitrary<String> consumers = Arbitraries.of(consumerNames());
        Arbitrary<Long> units = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(7, Arbitraries.longs().between(0, 5_000)),
                net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(0, 10_000_000)),
                net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(0, Estimate.DEFAULT_MAX_UNITS)));
        Arbitrary<Map<String, Long>> estimates = Arbitraries.maps(Arbitraries.of(METERS), units).ofMaxSize(3);
        return Combinators.combine(Arbitraries.of(Endpoint.class), consumers, Arbitraries.of(IDENTITY), estimates).as(GoodAsk::new);
    }

    private static List<String> consumerNames() {
        List<String> names = new java.util.ArrayList<>(List.of("funded", "thin", "broke", "quota", "capped", "open", "paused", "drifter",
                "luxury", "open-luxury"));
        names.add("ghost");
        return names;
    }

    // ------------------------------------------------------------------ known consumers, estimates that must be refused

    /** A known consumer with an estimate that is invalid by construction: 400 naming the estimate, nothing admitted. */
    record BadEstimate(Endpoint endpoint, String consumer, String header, String json) implements Ask {
        @Override
        public void run() throws Exception {
            int status;
            String reason;
            if (endpoint == Endpoint.GRPC) {
                CheckResponse response = grpcClient(TOKEN, ANSWER_WITHIN).check(checkRequest(
                        Map.of("x-consumer-id", consumer, "x-usage-estimate", header), "/v1/orders"));
                status = response.getDeniedResponse().getStatus().getCodeValue();
                reason = JSON.readTree(response.getDeniedResponse().getBody()).path("reason").asText();
            } else if (endpoint == Endpoint.DECISIONS) {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/decisions")).timeout(ANSWER_WITHIN)
                        .header("Authorization", "Bearer " + TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"consumer\":\"" + consumer + "\",\"estimate\":" + json + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                status = response.statusCode();
                reason = JSON.readTree(response.body()).path("reason").asText();
            } else {
                HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/authorize")).timeout(ANSWER_WITHIN)
                        .header("Authorization", "Bearer " + TOKEN).header("X-Consumer-Id", consumer).header("X-Usage-Estimate", header)
                        .build(), HttpResponse.BodyHandlers.ofString());
                status = response.statusCode();
                reason = JSON.readTree(response.body()).path("reason").asText();
            }
            assertThat(status).as(toString()).isEqualTo(400);
            assertThat(reason).as(toString()).isEqualTo("invalid_estimate");
        }
    }

    private static Arbitrary<Ask> badEstimates() {
        Arbitrary<Long> overBound = Arbitraries.longs().between(Estimate.DEFAULT_MAX_UNITS + 1, Long.MAX_VALUE);
        Arbitrary<String[]> pairs = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of(METERS), overBound).as((m, u) -> new String[] {m + "=" + u, "{\"" + m + "\":" + u + "}"}),
                Combinators.combine(Arbitraries.of(METERS), Arbitraries.longs().between(Long.MIN_VALUE, -1))
                        .as((m, u) -> new String[] {m + "=" + u, "{\"" + m + "\":" + u + "}"}),
                Arbitraries.of(new String[] {"requests=99999999999999999999", "{\"requests\":99999999999999999999}"},
                        new String[] {"requests=1.5", "{\"requests\":1.5}"},
                        new String[] {"bad meter=1", "{\"bad meter\":1}"},
                        new String[] {"requests=1,requests=2", "[1]"},
                        new String[] {"requests", "\"requests\""}));
        return Combinators.combine(Arbitraries.of(Endpoint.AUTHORIZE, Endpoint.DECISIONS, Endpoint.GRPC), Arbitraries.of(consumerNames()), pairs)
                .as((endpoint, consumer, pair) -> new BadEstimate(endpoint, consumer, pair[0], pair[1]));
    }

    /**
     * A known consumer's id with a control or invisible character inside it, in JSON or gRPC: 400 naming the field.
     * (At either end, ASCII controls are trimmed like white space: ConsumerIds.normalize.)
     */
    record BadConsumer(boolean grpc, String consumer) implements Ask {
        @Override
        public void run() throws Exception {
            if (grpc) {
                CheckResponse response = grpcClient(TOKEN, ANSWER_WITHIN).check(checkRequest(Map.of("x-consumer-username", consumer), "/v1/orders"));
                assertThat(response.getDeniedResponse().getStatus().getCodeValue()).as(toString()).isEqualTo(400);
                assertThat(JSON.readTree(response.getDeniedResponse().getBody()).path("field").asText()).isEqualTo("X-Consumer-Username");
                return;
            }
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/decisions")).timeout(ANSWER_WITHIN)
                    .header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("consumer", consumer).toString())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(toString()).isEqualTo(400);
            assertThat(response.headers().firstValue("X-Tollgate-Consumer")).isEmpty();
            assertThat(JSON.readTree(response.body()).path("field").asText()).isEqualTo("consumer");
        }
    }

    private static Arbitrary<Ask> badConsumers() {
        Arbitrary<Character> bad = Arbitraries.of('\r', '\n', '\u0000', '\u0007', '\u007F', '\u0085', '\u200B', '\u202E', '\u2028', '\uFEFF');
        return Combinators.combine(Arbitraries.of(true, false), Arbitraries.of(consumerNames()), bad, Arbitraries.integers().between(1, 3))
                .as((grpc, name, c, at) -> new BadConsumer(grpc, name.substring(0, at) + c + name.substring(at)));
    }

    // ------------------------------------------------------------------ malformed HTTP headers

    record HeaderFuzz(String method, String path, Map<String, String> headers) implements Ask {
        @Override
        public void run() throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + path)).timeout(ANSWER_WITHIN)
                    .method(method, HttpRequest.BodyPublishers.noBody());
            headers.forEach(request::header);
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertNoServerError(response.statusCode(), toString());
            if (DecisionEndpoints.isAuthorizePath(URI.create(base() + path).getRawPath()) && response.statusCode() != 200
                    && !method.equals("HEAD") && response.statusCode() != 431) {
                assertThat(response.headers().firstValue("Content-Type")).as(toString()).hasValue("application/problem+json");
            }
        }
    }

    private static Arbitrary<Ask> headerFuzz() {
        Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username",
                "X-Usage-Estimate", "Authorization", "X-Tollgate-Mode", "X-Tollgate-Secret", "Content-Type"),
                Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-").ofMinLength(1).ofMaxLength(20)
                        .filter(n -> !n.equalsIgnoreCase("host") && !n.equalsIgnoreCase("connection") && !n.equalsIgnoreCase("content-length")
                                && !n.equalsIgnoreCase("expect") && !n.equalsIgnoreCase("upgrade") && !n.startsWith("-")));
        Arbitrary<String> values = Arbitraries.oneOf(
                headerSafeText(),
                Arbitraries.of("Bearer " + TOKEN, "Bearer wrong", "Basic Zm9v", "bearer", "nginx", "NGINX"),
                Arbitraries.of("requests=9223372036854775807", "requests=-1", "input_tokens=1e9", "=5", "a=1,a=2", ",,,", "requests=1000000000001",
                        "gold=1000000000000", "x".repeat(4000), "input_tokens=99999999999999999999999999"),
                Arbitraries.strings().withChars("~!@#$%^&*()_+{}|:<>?é\u0085\u00a0").ofMinLength(1).ofMaxLength(300).map(s -> "~" + s));
        // what java.net.http lets into a header value; bytes beyond that are the raw fuzz's
        Arbitrary<Map<String, String>> headers = Arbitraries.maps(names, values.filter(DecisionFuzzTest::sendable)).ofMaxSize(6)
                .map(map -> {
                    Map<String, String> withToken = new LinkedHashMap<>(map);
                    withToken.putIfAbsent("Authorization", "Bearer " + TOKEN);
                    return withToken;
                });
        Arbitrary<String> paths = Arbitraries.of("/v1/authorize", "/v1/authorize/", "/v1/authorize/a/b/c?x=%00&y=%E2%80%AE",
                "/v1/authorize/%2e%2e/%2e%2e/v1/plans", "/v1/authorizex", "/v1/decisions");
        Arbitrary<String> methods = Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");
        return Combinators.combine(methods, paths, headers).as(HeaderFuzz::new);
    }

    /** Text a Java HTTP client will put in a header (tab, printable ASCII and Latin-1), starting with "~": never a known consumer. */
    private static Arbitrary<String> headerSafeText() {
        return Arbitraries.strings().withCharRange('\u0020', '\u007E').withChars('\t').withCharRange('\u00A0', '\u00FF')
                .ofMinLength(0).ofMaxLength(80).map(s -> "~" + s);
    }

    private static boolean sendable(String value) {
        return value.chars().allMatch(c -> c == '\t' || c >= 0x20 && c <= 0xFF && c != 0x7F);
    }

    // ------------------------------------------------------------------ malformed JSON bodies

    record JsonFuzz(String contentType, String body) implements Ask {
        @Override
        public void run() throws Exception {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/v1/decisions")).timeout(ANSWER_WITHIN)
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", contentType)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertNoServerError(response.statusCode(), toString());
            assertThat(response.statusCode()).as("no fuzzed body is a known consumer's good ask: " + this).isNotEqualTo(200);
        }
    }

    private static Arbitrary<Ask> jsonFuzz() {
        Arbitrary<String> weirdConsumer = Arbitraries.oneOf(
                Arbitraries.strings().ofMinLength(0).ofMaxLength(300).map(s -> "~" + s),
                Arbitraries.of("acme\r\nX-Admin: 1", "\u0000", " ", "", "x".repeat(257), "a\u202Eb", "\uD800"));
        Arbitrary<String> consumerJson = Arbitraries.oneOf(
                weirdConsumer.map(s -> JSON.getNodeFactory().textNode(s).toString()),
                Arbitraries.of("42", "null", "true", "[\"funded\"]", "{\"id\":\"funded\"}", "1e400", "\"\\ud800\""));
        Arbitrary<String> estimateJson = Arbitraries.oneOf(
                Arbitraries.of("null", "{}", "[]", "\"requests=1\"", "{\"requests\":9223372036854775807}", "{\"requests\":-1}",
                        "{\"requests\":1.5}", "{\"requests\":\"5\"}", "{\"\":1}", "{\"bad\\nmeter\":1}", "{\"requests\":1e30}",
                        "{\"requests\":99999999999999999999999}", "{\"gold\":1000000000001}", "{\"requests\":null}"),
                Arbitraries.maps(Arbitraries.strings().ofMaxLength(70), Arbitraries.longs()).ofMaxSize(40).map(map -> {
                    ObjectNode node = JSON.createObjectNode();
                    map.forEach(node::put);
                    return node.toString();
                }));
        Arbitrary<String> structured = Combinators.combine(consumerJson, estimateJson)
                .as((consumer, estimate) -> "{\"consumer\":" + consumer + ",\"estimate\":" + estimate + "}");
        Arbitrary<String> garbage = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(500),
                Arbitraries.of("", "{", "}", "[]", "null", "\"x\"", "{\"consumer\":", "{\"estimate\":{\"requests\":1}}",
                        "[".repeat(5000) + "]".repeat(5000), "{\"consumer\":\"" + "y".repeat(17_000) + "\"}"));
        return Combinators.combine(Arbitraries.of("application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"),
                Arbitraries.oneOf(structured, garbage)).as(JsonFuzz::new);
    }

    // ------------------------------------------------------------------ malformed gRPC checks

    record GrpcFuzz(String authorization, String path, Map<String, String> headers) implements Ask {
        @Override
        public void run() {
            try {
                CheckResponse response = grpcClient(authorization, ANSWER_WITHIN).check(checkRequest(headers, path));
                assertThat(response.getStatus().getCode()).as(toString()).isNotEqualTo(com.google.rpc.Code.OK_VALUE);
                assertNoServerError(response.getDeniedResponse().getStatus().getCodeValue(), toString());
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).as(toString()).isEqualTo(io.grpc.Status.Code.UNAUTHENTICATED);
                assertThat(authorization).as("only a call without the token fails").isNotEqualTo(TOKEN);
            }
        }
    }

    private static Arbitrary<Ask> grpcFuzz() {
        Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.of("x-consumer-id", "x-consumer-custom-id", "x-consumer-username",
                "x-usage-estimate", "authorization", "x-tollgate-secret", ":path"), Arbitraries.strings().ofMaxLength(30));
        Arbitrary<String> values = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(300).map(s -> "~" + s),
                Arbitraries.of("acme\r\nx", "requests=9223372036854775807", "gold=1000000000000", "\u0000", "", " ", "x".repeat(257)));
        Arbitrary<Map<String, String>> headers = Arbitraries.maps(names, values).ofMaxSize(6);
        return Combinators.combine(Arbitraries.of(TOKEN, TOKEN, TOKEN, "wrong", ""), Arbitraries.strings().ofMaxLength(100), headers)
                .as(GrpcFuzz::new);
    }

    // ------------------------------------------------------------------ raw bytes on the wire

    record RawFuzz(String request) implements Ask {
        @Override
        public void run() throws IOException {
            try (Socket socket = new Socket("127.0.0.1", http.port())) {
                socket.setSoTimeout((int) ANSWER_WITHIN.toMillis());
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                socket.shutdownOutput();
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream answer = new ByteArrayOutputStream();
                byte[] buffer = new byte[4096];
                try {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        answer.write(buffer, 0, n);
                    }
                } catch (SocketTimeoutException | java.net.SocketException e) {
                    // the server may keep the connection open or reset it after answering; what arrived is the answer
                }
                String text = answer.toString(StandardCharsets.ISO_8859_1);
                for (String line : text.split("\r\n")) {
                    if (line.startsWith("HTTP/1.")) {
                        assertNoServerError(Integer.parseInt(line.substring(9, 12)), toString());
                    }
                }
            }
        }
    }

    private static Arbitrary<Ask> rawFuzz() {
        Arbitrary<String> lines = Arbitraries.strings().withCharRange('\u0000', '\u00FF').ofMaxLength(200);
        Arbitrary<String> requestLines = Arbitraries.of("GET /v1/authorize HTTP/1.1", "POST /v1/decisions HTTP/1.1", "GET /v1/authorize/x HTTP/1.0",
                "GET /v1/authorize HTTP/9.9", "GARBAGE", "GET  HTTP/1.1", "GET /v1/authorize\u0000 HTTP/1.1");
        return Combinators.combine(requestLines, lines.list().ofMaxSize(6), Arbitraries.strings().ofMaxLength(200))
                .as((first, headerLines, body) -> first + "\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n"
                        + headerLines.stream().map(l -> l.replace("\r", "").replace("\n", "")).collect(Collectors.joining("\r\n"))
                        + "\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body)
                .map(RawFuzz::new);
    }

    // ------------------------------------------------------------------ helpers

    private static void assertNoServerError(int status, String what) {
        assertThat(status).as("status of " + what).isBetween(200, 499);
    }

    private static AuthorizationGrpc.AuthorizationBlockingStub grpcClient(String token, Duration deadline) {
        AuthorizationGrpc.AuthorizationBlockingStub stub = AuthorizationGrpc.newBlockingStub(channel)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
        if (token == null || token.isEmpty()) {
            return stub;
        }
        Metadata metadata = new Metadata();
        metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata));
    }

    private static CheckRequest checkRequest(Map<String, String> headers, String path) {
        return CheckRequest.newBuilder().setAttributes(AttributeContext.newBuilder()
                .setRequest(AttributeContext.Request.newBuilder().setHttp(AttributeContext.HttpRequest.newBuilder()
                        .setMethod("GET").setPath(path).putAllHeaders(headers)))).build();
    }

    private static Map<String, String> headerMap(List<HeaderValueOption> options) {
        return options.stream().collect(Collectors.toMap(o -> o.getHeader().getKey(), o -> o.getHeader().getValue(), (a, b) -> b));
    }
}
