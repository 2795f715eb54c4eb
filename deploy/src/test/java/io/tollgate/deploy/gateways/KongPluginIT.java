package io.tollgate.deploy.gateways;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.sun.net.httpserver.HttpServer;
import io.tollgate.deploy.LocalStack;
import io.tollgate.deploy.ServiceSpec;
import io.tollgate.deploy.TollgateCli;
import io.tollgate.deploy.demo.TollgateApi;
import io.tollgate.localstack.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tollgate.deploy.gateways.KongPluginSpecsTest.KONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kong plugin's {@code handler.lua} and the post-function recipe, with the configurations shipped in
 * {@code deploy/gateways/kong/}, running in real nginx with the lua module under the shim of
 * {@code spec/nginx/kong_shim.lua}, in front of a real upstream, against the real billing-service of the local stack
 * (broker, registry, ingest, streams, billing as processes; accounts through the admin API): a funded consumer gets
 * the upstream's 200, one without credits the 402 with billing-service's body, a stopped or silent billing-service the
 * route's fail-open or fail-closed answer.
 */
@Tag("integration")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KongPluginIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<Path> MODULE_DIRS = List.of(Path.of("/usr/share/nginx/modules"), Path.of("/usr/lib/nginx/modules"));
    private static final String ACME = "5c1b4a1e-8d4e-4b8e-9a51-0c8b7f2f1a10";
    /** A Kong consumer with neither custom_id nor account: the plugin names it by its id. */
    private static final String GHOST = "0b5d6c1e-47a3-4a0f-9f7e-6d1f1f3c8e44";

    private static final Map<String, AtomicInteger> UPSTREAM_CALLS = new ConcurrentHashMap<>();
    private static final List<Map<String, String>> UPSTREAM_SEEN = new CopyOnWriteArrayList<>();
    private static LocalStack stack;
    private static TollgateApi api;
    private static HttpServer upstream;
    private static ServerSocket silent;
    private static final List<Socket> silentConnections = new CopyOnWriteArrayList<>();
    private static Process nginx;
    private static Path nginxDir;
    private static int port;
    private static String decisionToken;

    @BeforeAll
    static void start(@TempDir Path work) throws Exception {
        Path modules = MODULE_DIRS.stream().filter(d -> Files.isRegularFile(d.resolve("ngx_http_lua_module.so"))).findFirst().orElse(null);
        assumeThat(Files.isExecutable(Path.of("/usr/sbin/nginx")) && modules != null
                && Files.isRegularFile(Path.of("/usr/share/lua/5.1/resty/core.lua")))
                .as("nginx with the lua module is not installed (apt-get install nginx libnginx-mod-http-lua lua-resty-core lua-cjson);"
                        + " skipping the Kong plugin in nginx")
                .isTrue();

        stack = LocalStack.start(new LocalStack.Options(TollgateCli.repoRoot()).dataDir(work.resolve("stack")).onFreePorts());
        String billingUrl = stack.url(ServiceSpec.BILLING_SERVICE)
                .orElseThrow(() -> new IllegalStateException("billing-service is not built: ./mvnw -pl billing-service -am package -DskipTests"));
        Path tokenFile = stack.dataDir().resolve("decision-token");
        decisionToken = Files.isRegularFile(tokenFile) ? Files.readString(tokenFile).trim() : null;
        api = new TollgateApi(JSON, stack.url(ServiceSpec.METERING_INGEST).orElseThrow(), billingUrl, stack.adminToken(), decisionToken);
        openAccounts();

        upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", exchange -> {
            Map<String, String> seen = new ConcurrentHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> seen.put(name.toLowerCase(), values.get(0)));
            UPSTREAM_SEEN.add(seen);
            UPSTREAM_CALLS.computeIfAbsent(seen.getOrDefault("x-tollgate-consumer", "-"), c -> new AtomicInteger()).incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            byte[] body = "upstream ok".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Seen-Consumer", seen.getOrDefault("x-tollgate-consumer", "-"));
            exchange.getResponseHeaders().add("X-Seen-Balance", seen.getOrDefault("x-tollgate-balance", "-"));
            exchange.getResponseHeaders().add("X-Seen-Decision", seen.getOrDefault("x-tollgate-decision", "-"));
            exchange.getResponseHeaders().add("X-Seen-Apikey", seen.getOrDefault("apikey", "-"));
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        upstream.start();

        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    silentConnections.add(silent.accept()); // held open, never answered
                } catch (IOException e) {
                    return;
                }
            }
        }, "kong-it-silent-billing");
        acceptor.setDaemon(true);
        acceptor.start();

        nginxDir = Files.createDirectories(work.resolve("nginx"));
        startNginx(modules, billingUrl);
    }

    /** A plan pricing requests and output tokens, acme with 25.00 of credits, broke with none; waits until billing-service knows both. */
    private static void openAccounts() {
        ObjectNode plan = JSON.createObjectNode().put("currency", "USD").put("period", "month");
        ObjectNode meters = plan.putObject("meters");
        meters.putObject("requests").put("unitPrice", "0.002").put("per", 1);
        meters.putObject("output_tokens").put("unitPrice", "10.00").put("per", 1_000_000);
        api.putPlan("kong-it", plan);
        for (String consumer : List.of("acme", "broke")) {
            api.putConsumer(consumer, JSON.createObjectNode().put("plan", "kong-it").put("status", "active").put("billing", "prepaid"));
        }
        api.grantCredits("acme", "25.00", "kong-it-acme", "Kong plugin test");
        await().atMost(Duration.ofSeconds(90)).until(() -> api.authorize("acme").status() == 200 && api.authorize("broke").status() == 402);
    }

    /** The tollgate configuration of {@code service} in the shipped kong.yml, pointed at {@code url}. */
    private static ObjectNode shippedPluginConfig(String service, String url) throws IOException {
        for (JsonNode s : YAML.readTree(KONG.resolve("kong.yml").toFile()).path("services")) {
            if (s.path("name").asText().equals(service)) {
                for (JsonNode plugin : s.path("plugins")) {
                    if (plugin.path("name").asText().equals("tollgate")) {
                        ObjectNode config = ((ObjectNode) plugin.path("config")).deepCopy();
                        config.put("url", url);
                        return config;
                    }
                }
            }
        }
        throw new IllegalStateException("kong.yml has no tollgate plugin on service " + service);
    }

    private static String shippedRecipe(String url) throws IOException {
        JsonNode access = YAML.readTree(KONG.resolve("kong-post-function.yml").toFile())
                .path("services").path(0).path("routes").path(0).path("plugins").path(0).path("config").path("access");
        assertThat(access.size()).isEqualTo(1);
        String recipe = access.path(0).asText();
        assertThat(recipe).contains("local URL = \"http://127.0.0.1:8090/v1/authorize\"");
        return recipe.replace("http://127.0.0.1:8090/v1/authorize", url);
    }

    private static void startNginx(Path modules, String billingUrl) throws Exception {
        String authorize = billingUrl + "/v1/authorize";
        String silentUrl = "http://127.0.0.1:" + silent.getLocalPort() + "/v1/authorize";
        ObjectNode routes = JSON.createObjectNode();
        ObjectNode consumers = routes.putObject("consumers");
        consumers.putObject("key-acme").put("id", ACME).put("custom_id", "acme").put("username", "acme-user");
        consumers.putObject("key-broke").put("id", "8f7e3c55-3b1d-4c59-a0c4-2b9c5e1d7a22").put("custom_id", "broke").put("username", "broke-user");
        consumers.putObject("key-ghost").put("id", GHOST).put("username", "ghost");
        ObjectNode table = routes.putObject("routes");
        table.putObject("closed").set("plugin", shippedPluginConfig("orders", authorize));
        table.putObject("open").set("plugin", shippedPluginConfig("orders", authorize).put("fail_open", true));
        table.putObject("ai").set("plugin", shippedPluginConfig("llm", authorize).put("fail_open", false));
        table.putObject("silent-closed").set("plugin", shippedPluginConfig("orders", silentUrl).put("read_timeout", 300));
        table.putObject("silent-open").set("plugin", shippedPluginConfig("orders", silentUrl).put("read_timeout", 300).put("fail_open", true));
        table.putObject("wrong-token").set("plugin", shippedPluginConfig("orders", authorize).put("token", "not-a-decision-token"));
        table.putObject("recipe").put("recipe", shippedRecipe(authorize));
        Files.writeString(nginxDir.resolve("routes.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(routes));

        port = Ports.free();
        int upstreamPort = upstream.getAddress().getPort();
        StringBuilder locations = new StringBuilder();
        for (String route : List.of("closed", "open", "ai", "silent-closed", "silent-open", "wrong-token", "recipe")) {
            locations.append("    location /").append(route).append("/ {\n")
                    .append("      access_by_lua_block { require(\"kong_shim\").access(\"").append(route).append("\") }\n")
                    .append("      proxy_pass http://127.0.0.1:").append(upstreamPort).append(";\n")
                    .append("    }\n");
        }
        for (String temp : List.of("body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            Files.createDirectories(nginxDir.resolve(temp));
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Files.writeString(nginxDir.resolve("nginx.conf"), String.join("\n",
                "load_module " + modules.resolve("ndk_http_module.so") + ";",
                "load_module " + modules.resolve("ngx_http_lua_module.so") + ";",
                root ? "user root;" : "",
                "worker_processes 1;",
                "daemon off;",
                "pid " + nginxDir.resolve("nginx.pid") + ";",
                "error_log " + nginxDir.resolve("error.log") + " info;",
                "env TOLLGATE_DECISION_TOKEN;",
                "events { worker_connections 256; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + nginxDir.resolve("body") + ";",
                "  proxy_temp_path " + nginxDir.resolve("proxy") + ";",
                "  fastcgi_temp_path " + nginxDir.resolve("fastcgi") + ";",
                "  uwsgi_temp_path " + nginxDir.resolve("uwsgi") + ";",
                "  scgi_temp_path " + nginxDir.resolve("scgi") + ";",
                "  lua_package_path \"" + KONG + "/?.lua;" + KONG + "/spec/nginx/?.lua;;\";",
                "  init_by_lua_block { require(\"kong_shim\").init(\"" + nginxDir.resolve("routes.json") + "\") }",
                "  server {",
                "    listen 127.0.0.1:" + port + ";",
                locations.toString(),
                "  }",
                "}", ""));

        ProcessBuilder builder = new ProcessBuilder("/usr/sbin/nginx", "-e", nginxDir.resolve("error.log").toString(),
                "-p", nginxDir.toString(), "-c", nginxDir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(nginxDir.resolve("nginx.out").toFile());
        if (decisionToken != null) {
            builder.environment().put("TOLLGATE_DECISION_TOKEN", decisionToken);
        } else {
            builder.environment().remove("TOLLGATE_DECISION_TOKEN");
        }
        nginx = builder.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            if (!nginx.isAlive()) {
                throw new IllegalStateException("nginx exited " + nginx.exitValue() + ": " + Files.readString(nginxDir.resolve("nginx.out"))
                        + Files.readString(nginxDir.resolve("error.log")));
            }
            return Ports.isListening(port);
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.destroy();
            if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                nginx.destroyForcibly();
            }
        }
        if (silent != null) {
            silent.close();
            for (Socket socket : silentConnections) {
                socket.close();
            }
        }
        if (upstream != null) {
            upstream.stop(0);
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static HttpResponse<String> call(String route, String apikey) throws Exception {
        return call(route, apikey, null);
    }

    private static HttpResponse<String> call(String route, String apikey, String jsonBody) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/" + route + "/v1/orders?page=2"))
                .timeout(Duration.ofSeconds(10)).header("X-Tollgate-Balance", "1000000.00");
        if (apikey != null) {
            request.header("apikey", apikey);
        }
        if (jsonBody != null) {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(jsonBody));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int upstreamCalls(String consumer) {
        return UPSTREAM_CALLS.getOrDefault(consumer, new AtomicInteger()).get();
    }

    /** What billing-service answers a gateway asking directly about {@code consumer}. */
    private static HttpResponse<String> askBilling(String consumer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stack.url(ServiceSpec.BILLING_SERVICE).orElseThrow() + "/v1/authorize"))
                .timeout(Duration.ofSeconds(10)).header("X-Consumer-Id", consumer);
        if (decisionToken != null) {
            request.header("Authorization", "Bearer " + decisionToken);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"closed", "recipe"})
    @Order(1)
    void aFundedConsumerGetsTheUpstreamsAnswerWithTheTollgateHeaders(String route) throws Exception {
        HttpResponse<String> response = call(route, "key-acme");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("upstream ok");
        assertThat(response.headers().firstValue("X-Seen-Consumer")).hasValue("acme");
        assertThat(response.headers().firstValue("X-Seen-Balance")).hasValueSatisfying(b -> assertThat(b).matches("24\\.99\\d*"));
        assertThat(response.headers().firstValue("X-Seen-Decision")).hasValue("allow");
        assertThat(response.headers().firstValue("X-Seen-Apikey")).hasValue("-");
    }

    @ParameterizedTest
    @ValueSource(strings = {"closed", "open", "recipe"})
    @Order(2)
    void aConsumerWithoutCreditsGetsBillingServices402BodyAndTheUpstreamIsNotCalled(String route) throws Exception {
        int before = upstreamCalls("broke");

        HttpResponse<String> response = call(route, "key-broke");
        HttpResponse<String> direct = askBilling("broke");

        assertThat(response.statusCode()).isEqualTo(402);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("insufficient_credits");
        assertThat(response.headers().firstValue("X-Tollgate-Consumer")).hasValue("broke");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("reason").asText()).isEqualTo("insufficient_credits");
        assertThat(body.path("consumer").asText()).isEqualTo("broke");
        assertThat(body.path("balance").asText()).isEqualTo("0.00");
        assertThat(body).isEqualTo(JSON.readTree(direct.body()));
        assertThat(upstreamCalls("broke")).isEqualTo(before);
    }

    @Test
    @Order(3)
    void noConsumerGetsBillingServices401AndAnUnknownOne403() throws Exception {
        HttpResponse<String> anonymous = call("closed", null);
        HttpResponse<String> ghost = call("closed", "key-ghost");

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(anonymous.body()).path("reason").asText()).isEqualTo("missing_consumer");
        assertThat(ghost.statusCode()).isEqualTo(403);
        assertThat(ghost.headers().firstValue("X-Tollgate-Reason")).hasValue("unknown_consumer");
        assertThat(JSON.readTree(ghost.body()).path("consumer").asText()).isEqualTo(GHOST);
    }

    @Test
    @Order(4)
    void anAiCallIsJudgedOnTheMaxTokensOfItsBody() throws Exception {
        // output tokens cost 10.00 per million: 1,000 fit in acme's 25.00, 5,000,000 (50.00) do not
        HttpResponse<String> small = call("ai", "key-acme", "{\"model\":\"gpt-4o\",\"max_tokens\":1000,\"messages\":[]}");
        HttpResponse<String> large = call("ai", "key-acme", "{\"model\":\"gpt-4o\",\"max_tokens\":5000000,\"messages\":[]}");

        assertThat(small.statusCode()).as(small.body()).isEqualTo(200);
        assertThat(small.headers().firstValue("X-Seen-Decision")).hasValue("allow");
        assertThat(large.statusCode()).as(large.body()).isEqualTo(402);
        assertThat(JSON.readTree(large.body()).path("reason").asText()).isEqualTo("insufficient_credits");
    }

    @Test
    @Order(5)
    void aBillingServiceThatDoesNotAnswerInTimeGets503WhenFailClosedAndPassesWhenFailOpen() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> closed = call("silent-closed", "key-acme");
        long closedMillis = (System.nanoTime() - start) / 1_000_000;
        HttpResponse<String> open = call("silent-open", "key-acme");

        assertThat(closed.statusCode()).isEqualTo(503);
        assertThat(closed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(closed.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(JSON.readTree(closed.body()).path("reason").asText()).isEqualTo("decision_unavailable");
        assertThat(closedMillis).as("answered after the 300 ms read timeout, not the client's 10 s").isBetween(250L, 2_000L);
        assertThat(open.statusCode()).isEqualTo(200);
        assertThat(open.headers().firstValue("X-Seen-Decision")).hasValue("fail-open");
        assertThat(open.headers().firstValue("X-Seen-Balance")).hasValue("-");
    }

    @Test
    @Order(6)
    void aWrongGatewayCredentialIsRefusedWith401() throws Exception {
        assertThat(decisionToken).as("the local stack writes <data-dir>/decision-token (SPEC §6)").isNotBlank();

        HttpResponse<String> response = call("wrong-token", "key-acme");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(call("closed", "key-acme").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(7)
    void aStoppedBillingServiceGetsEachRoutesFailOpenOrFailClosedAnswer() throws Exception {
        LocalStack.Service billing = stack.services().stream().filter(s -> s.spec().equals(ServiceSpec.BILLING_SERVICE)).findFirst().orElseThrow();
        billing.process().stop(Duration.ofSeconds(10));
        assertThat(Ports.isListening(billing.port())).isFalse();

        List<HttpResponse<String>> closed = new ArrayList<>();
        for (String route : List.of("closed", "recipe")) {
            closed.add(call(route, "key-acme"));
        }
        HttpResponse<String> open = call("open", "key-acme");

        for (HttpResponse<String> response : closed) {
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("X-Tollgate-Reason")).hasValue("decision_unavailable");
            assertThat(JSON.readTree(response.body()).path("title").asText()).isEqualTo("Decision unavailable");
        }
        assertThat(open.statusCode()).isEqualTo(200);
        assertThat(open.body()).isEqualTo("upstream ok");
        assertThat(open.headers().firstValue("X-Seen-Decision")).hasValue("fail-open");
        assertThat(open.headers().firstValue("X-Seen-Consumer")).hasValue("-");
        assertThat(Files.readString(nginxDir.resolve("error.log")))
                .contains("tollgate: billing-service at " + stack.url(ServiceSpec.BILLING_SERVICE).orElseThrow()
                        + "/v1/authorize did not answer: connection refused; fail_open lets the call through");
    }
}
