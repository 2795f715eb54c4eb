package io.tollgate.schemas.registry;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process HTTP server that plays a schema registry from a script and records every request.
 * Answers for one method and path are served in order; the last one repeats. Anything unscripted gets
 * a 404 that names the request, so a test that calls the wrong path fails with a readable message.
 */
public final class FakeRegistryServer implements AutoCloseable {
    public record Request(String method, String rawPath, Headers headers, String body, long receivedNanos) {
        public String header(String name) {
            return headers.getFirst(name);
        }
    }

    public record Answer(int status, String contentType, String body) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Deque<Answer>> script = new ConcurrentHashMap<>();

    private FakeRegistryServer(HttpServer server) {
        this.server = server;
    }

    public static FakeRegistryServer start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            FakeRegistryServer fake = new FakeRegistryServer(server);
            server.createContext("/", fake::handle);
            server.start();
            return fake;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the fake registry", e);
        }
    }

    /** Base URL without a trailing slash, e.g. {@code http://127.0.0.1:40123}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public FakeRegistryServer answer(String method, String rawPath, int status, String json) {
        return answer(method, rawPath, new Answer(status, "application/vnd.schemaregistry.v1+json", json));
    }

    public FakeRegistryServer answer(String method, String rawPath, Answer answer) {
        script.computeIfAbsent(method + " " + rawPath, k -> new ArrayDeque<>()).add(answer);
        return this;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public Request onlyRequest() {
        List<Request> all = requests();
        if (all.size() != 1) {
            throw new AssertionError("expected exactly one request, got " + all.size() + ": " + all);
        }
        return all.get(0);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String method = exchange.getRequestMethod();
            String rawPath = exchange.getRequestURI().getRawPath();
            requests.add(new Request(method, rawPath, exchange.getRequestHeaders(), body, System.nanoTime()));
            Answer answer = next(method + " " + rawPath);
            byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
            exchange.sendResponseHeaders(answer.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    private synchronized Answer next(String key) {
        Deque<Answer> answers = script.get(key);
        if (answers == null || answers.isEmpty()) {
            return new Answer(404, "application/json",
                    "{\"error_code\":40499,\"message\":\"fake registry: nothing scripted for " + key + "\"}");
        }
        return answers.size() == 1 ? answers.peekFirst() : answers.pollFirst();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
