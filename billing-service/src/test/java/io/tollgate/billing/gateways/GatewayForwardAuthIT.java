package io.tollgate.billing.gateways;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.billing.BillingServer;
import io.tollgate.billing.decision.DecisionEndpoints;
import io.tollgate.billing.decision.DecisionMetrics;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.Estimate;
import io.tollgate.billing.decision.Freshness;
import io.tollgate.billing.decision.GatewayChecks;
import io.tollgate.billing.decision.InMemoryBalances;
import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.OpsRoutes;
import io.tollgate.schemas.money.Periods;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Real nginx and real Caddy, configured with the files shipped in {@code deploy/gateways/}, in front of a small
 * upstream and of billing-service (in-process, read model filled by hand, gateway tokens required): a funded consumer
 * gets the upstream's 200, one without credits the 402 and its problem body, and the upstream never sees a denied
 * call. The same files with another token get 401 for every call: the gateways really send the decision token.
 */
@Tag("integration")
@Timeout(60)
class GatewayForwardAuthIT {
    private static final Path GATEWAYS = Path.of("..", "deploy", "gateways").toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, AtomicInteger> UPSTREAM_CALLS = new ConcurrentHashMap<>();
    private static final List<Process> GATEWAY_PROCESSES = new ArrayList<>();
    private static final Map<String, Integer> GATEWAY_PORTS = new HashMap<>();
    private static final String DECISION_TOKEN = "gateway-it-decision-token";
    private static final String WRONG = "-wrong-token";
    private static BillingServer billing;
    private static HttpServer upstream;

    @BeforeAll
    static void start(@TempDir Path work) throws Exception {
        InMemoryBalances balances = new InMemoryBalances();
        balances.put(balance("acme", 25_000_000)).put(balance("broke", 0));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH, DecisionService.Settings.defaults(),
                System::currentTimeMillis);
        billing = BillingServer.start("127.0.0.1", 0, 1, metrics, OpsRoutes.Readiness::yes, new DecisionEndpoints(service,
                new DecisionMetrics(metrics), new GatewayChecks(List.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username"),
                        "", BearerTokens.parse(DECISION_TOKEN), Estimate.DEFAULT_MAX_UNITS),
                "https://billing.example/top-up/{consumer}"), router -> { });

        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            String consumer = String.valueOf(exchange.getRequestHeaders().getFirst("X-Tollgate-Consumer"));
            UPSTREAM_CALLS.computeIfAbsent(consumer, c -> new AtomicInteger()).incrementAndGet();
            byte[] body = "upstream ok".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Seen-Consumer", consumer);
            exchange.getResponseHeaders().add("X-Seen-Balance", String.valueOf(exchange.getRequestHeaders().getFirst("X-Tollgate-Balance")));
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        upstream.start();

        if (onPath("nginx")) {
            startNginx("nginx", Files.createDirectories(work.resolve("nginx")), DECISION_TOKEN);
            startNginx("nginx" + WRONG, Files.createDirectories(work.resolve("nginx" + WRONG)), "not-" + DECISION_TOKEN);
        }
        if (onPath("caddy")) {
            startCaddy("caddy", Files.createDirectories(work.resolve("caddy")), DECISION_TOKEN);
            startCaddy("caddy" + WRONG, Files.createDirectories(work.resolve("caddy" + WRONG)), "not-" + DECISION_TOKEN);
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (Process process : GATEWAY_PROCESSES) {
            process.destroy();
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (upstream != null) {
            upstream.stop(0);
        }
        if (billing != null) {
            billing.close();
        }
    }

    private static Balance balance(String consumer, long remainingMicros) {
        Map<String, MeterPrice> meters = Map.of("requests",
                MeterPrice.newBuilder().setUnitPriceNanos(2_000_000).setPer(1).setIncluded(0).setHardLimit(null).build());
        long now = System.currentTimeMillis();
        return Balance.newBuilder().setConsumer(consumer).setPlan("pro").setStatus("active").setBilling("prepaid").setCurrency("USD")
                .setPeriod(Periods.periodOf(Periods.MONTH, now)).setCreditsMicros(remainingMicros).setSpentMicros(0)
                .setRemainingMicros(remainingMicros).setSpendLimitMicros(null).setUsage(Map.of()).setAmounts(Map.of())
                .setMeters(meters).setVersion(1).setLastEventTime(null).setUpdatedAt(Instant.ofEpochMilli(now)).build();
    }

    private static boolean onPath(String binary) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, binary))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", binary));
    }

    /** The shipped config with the example ports replaced by this test's ports. */
    private static String shipped(String file, int gatewayPort, String gatewayListen) throws IOException {
        return Files.readString(GATEWAYS.resolve(file))
                .replace("127.0.0.1:8090", "127.0.0.1:" + billing.port())
                .replace("127.0.0.1:9000", "127.0.0.1:" + upstream.getAddress().getPort())
                .replace(gatewayListen, "127.0.0.1:" + gatewayPort);
    }

    /** nginx with the shipped file, its token put in as {@code envsubst '${TOLLGATE_DECISION_TOKEN}'} would. */
    private static void startNginx(String name, Path dir, String decisionToken) throws Exception {
        int port = freePort();
        Files.writeString(dir.resolve("tollgate.conf"), shipped("nginx/tollgate.conf", port, "127.0.0.1:8000")
                .replace("${TOLLGATE_DECISION_TOKEN}", decisionToken));
        for (String temp : List.of("body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            Files.createDirectories(dir.resolve(temp));
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Files.writeString(dir.resolve("nginx.conf"), String.join("\n",
                root ? "user root;" : "",
                "worker_processes 1;",
                "daemon off;",
                "pid " + dir.resolve("nginx.pid") + ";",
                "error_log " + dir.resolve("error.log") + " warn;",
                "events { worker_connections 256; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + dir.resolve("body") + ";",
                "  proxy_temp_path " + dir.resolve("proxy") + ";",
                "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";",
                "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";",
                "  scgi_temp_path " + dir.resolve("scgi") + ";",
                "  include " + dir.resolve("tollgate.conf") + ";",
                "}", ""));
        String nginx = onPathIn("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        launch(name, port, dir, nginx, "-e", dir.resolve("error.log").toString(), "-p", dir.toString(), "-c",
                dir.resolve("nginx.conf").toString());
    }

    private static boolean onPathIn(String file) {
        return Files.isExecutable(Path.of(file));
    }

    /** Caddy with the shipped file; it reads its token from the environment, as the Caddyfile says. */
    private static void startCaddy(String name, Path dir, String decisionToken) throws Exception {
        int port = freePort();
        Files.writeString(dir.resolve("Caddyfile"), shipped("caddy/Caddyfile", port, "127.0.0.1:8001"));
        ProcessBuilder builder = new ProcessBuilder("caddy", "run", "--config", dir.resolve("Caddyfile").toString(), "--adapter", "caddyfile");
        builder.environment().put("TOLLGATE_DECISION_TOKEN", decisionToken);
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("XDG_DATA_HOME", dir.resolve("data").toString());
        builder.environment().put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        launch(name, port, dir, builder);
    }

    private static void launch(String name, int port, Path dir, String... command) throws Exception {
        launch(name, port, dir, new ProcessBuilder(command));
    }

    private static void launch(String name, int port, Path dir, ProcessBuilder builder) throws Exception {
        Process process = builder.redirectErrorStream(true).redirectOutput(dir.resolve(name + ".out").toFile()).start();
        GATEWAY_PROCESSES.add(process);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited " + process.exitValue() + ": " + Files.readString(dir.resolve(name + ".out")));
            }
            return accepts(port);
        });
        GATEWAY_PORTS.put(name, port);
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static int gateway(String name) {
        String binary = name.replace(WRONG, "");
        assumeThat(onPath(binary)).as(binary + " is not installed (apt-get install -y nginx caddy); skipping its check").isTrue();
        return GATEWAY_PORTS.get(name);
    }

    private static HttpResponse<String> call(int port, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/orders?page=2")).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "caddy"})
    void aFundedConsumerGetsTheUpstreamsAnswer(String name) throws Exception {
        HttpResponse<String> response = call(gateway(name), "X-Consumer-Id", "acme");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("upstream ok");
        assertThat(response.headers().firstValue("X-Seen-Consumer")).hasValue("acme");
        assertThat(response.headers().firstValue("X-Seen-Balance")).hasValueSatisfying(b -> assertThat(b).matches("24\\.99\\d*"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "caddy"})
    void aConsumerWithoutCreditsGets402AndTheProblemBody(String name) throws Exception {
        int before = UPSTREAM_CALLS.getOrDefault("broke", new AtomicInteger()).get();

        HttpResponse<String> response = call(gateway(name), "X-Consumer-Id", "broke");

        assertThat(response.statusCode()).isEqualTo(402);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("insufficient_credits");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("type").asText()).isEqualTo("https://tollgate.dev/problems/insufficient-credits");
        assertThat(body.path("title").asText()).isEqualTo("Insufficient credits");
        assertThat(body.path("status").asInt()).isEqualTo(402);
        assertThat(body.path("detail").asText()).isEqualTo("No credits remain.");
        assertThat(body.path("reason").asText()).isEqualTo("insufficient_credits");
        assertThat(body.path("consumer").asText()).isEqualTo("broke");
        assertThat(body.path("balance").asText()).isEqualTo("0.00");
        assertThat(body.path("currency").asText()).isEqualTo("USD");
        assertThat(body.path("asOf").asText()).isNotEmpty();
        assertThat(body.path("topUpUrl").asText()).isEqualTo("https://billing.example/top-up/broke");
        assertThat(UPSTREAM_CALLS.getOrDefault("broke", new AtomicInteger()).get()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "caddy"})
    void noIdentityIs401AndAnUnknownConsumer403WithTheirBodies(String name) throws Exception {
        HttpResponse<String> anonymous = call(gateway(name));
        HttpResponse<String> unknown = call(gateway(name), "X-Consumer-Id", "ghost");

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(anonymous.body()).path("reason").asText()).isEqualTo("missing_consumer");
        assertThat(unknown.statusCode()).isEqualTo(403);
        assertThat(unknown.headers().firstValue("X-Tollgate-Reason")).hasValue("unknown_consumer");
        assertThat(JSON.readTree(unknown.body()).path("consumer").asText()).isEqualTo("ghost");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "caddy"})
    void aGatewayWithAWrongDecisionTokenGets401ForEveryCallAndTheUpstreamNothing(String name) throws Exception {
        int before = UPSTREAM_CALLS.getOrDefault("acme", new AtomicInteger()).get();

        HttpResponse<String> funded = call(gateway(name + WRONG), "X-Consumer-Id", "acme");
        HttpResponse<String> broke = call(gateway(name + WRONG), "X-Consumer-Id", "broke");

        for (HttpResponse<String> response : List.of(funded, broke)) {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("invalid_token");
            assertThat(JSON.readTree(response.body()).path("reason").asText()).isEqualTo("invalid_token");
        }
        assertThat(UPSTREAM_CALLS.getOrDefault("acme", new AtomicInteger()).get()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "caddy"})
    void aClientsOwnAuthorizationHeaderIsNotTakenForTheGatewaysToken(String name) throws Exception {
        HttpResponse<String> response = call(gateway(name + WRONG), "X-Consumer-Id", "acme", "Authorization", "Bearer " + DECISION_TOKEN);

        assertThat(response.statusCode()).isEqualTo(401);
    }
}
