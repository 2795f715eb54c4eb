package io.tollgate.billing.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.Balance;
import io.tollgate.billing.finance.FinanceRoutes;
import io.tollgate.billing.finance.UsageStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** The accounts and finance routes on a real HTTP server, over an in-memory billing.accounts. */
public final class ApiFixture implements AutoCloseable {
    public static final String TOKEN = "test-admin-token-1";
    public static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");

    public record Answer(int status, java.net.http.HttpHeaders headers, String text) {
        public JsonNode json() {
            try {
                return AccountJson.JSON.readTree(text);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + text, e);
            }
        }

        public String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }
    }

    public final InMemoryAccountsLog log = new InMemoryAccountsLog(6);
    public final AtomicBoolean replicaCaughtUp = new AtomicBoolean(true);
    public final Map<String, Balance> balances = new ConcurrentHashMap<>();
    public final UsageStore usage = new UsageStore();
    public final AccountsState state;
    private final Vertx vertx = Vertx.vertx();
    private final HttpClient http = HttpClient.newHttpClient();
    private final AccountsService service;
    private final int port;

    public ApiFixture() {
        this(new AccountsState());
    }

    public ApiFixture(AccountsState state) {
        this.state = state;
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        this.service = new AccountsService(state, log, clock, replicaCaughtUp::get);
        AdminAuth auth = new AdminAuth(List.of("other-token", TOKEN));
        Router router = Router.router(vertx);
        new AccountsRoutes(service, consumer -> Optional.ofNullable(balances.get(consumer)), auth).mount(router);
        new FinanceRoutes(usage, state, auth, 500, clock).mount(router);
        HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().join();
        this.port = server.actualPort();
    }

    public Answer send(String method, String path, String body) {
        return send(method, path, body, Map.of("Authorization", "Bearer " + TOKEN));
    }

    public Answer send(String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public int port() {
        return port;
    }

    public Answer get(String path) {
        return send("GET", path, null);
    }

    public static JsonNode json(String text) {
        try {
            return AccountJson.JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        service.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
