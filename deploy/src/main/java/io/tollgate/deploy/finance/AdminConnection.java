package io.tollgate.deploy.finance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How the finance commands reach billing-service: {@code --url} and an admin token from {@code --token},
 * else {@code TOLLGATE_ADMIN_TOKEN}, else {@code <data-dir>/admin-token} written by the local stack.
 */
public final class AdminConnection {
    static final String TOKEN_ENV = "TOLLGATE_ADMIN_TOKEN";
    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8090", description = "billing-service base URL (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--token", description = "Admin bearer token (default: $" + TOKEN_ENV + ", else <data-dir>/admin-token).")
    String token;

    @Option(names = "--data-dir", description = "The local stack's data directory, where it wrote admin-token (default: .tollgate/ under $TOLLGATE_HOME or the working directory).")
    Path dataDir;

    /** An answer of billing-service. */
    public record Answer(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new FinanceCliException("billing-service answered " + status + " with a body that is not JSON: " + body);
            }
        }
    }

    /** A failure the command reports in one line and exits non-zero for. */
    public static final class FinanceCliException extends RuntimeException {
        public FinanceCliException(String message) {
            super(message);
        }
    }

    String resolveToken(Map<String, String> env) {
        if (token != null && !token.isBlank()) {
            return token.trim();
        }
        String fromEnv = env.get(TOKEN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        Path dir = dataDir;
        if (dir == null) {
            String home = env.get("TOLLGATE_HOME");
            dir = (home == null || home.isBlank() ? Path.of("") : Path.of(home)).resolve(".tollgate");
        }
        Path file = dir.resolve("admin-token");
        try {
            if (Files.isRegularFile(file)) {
                return Files.readString(file).trim();
            }
        } catch (IOException e) {
            throw new FinanceCliException("cannot read " + file + ": " + e.getMessage());
        }
        throw new FinanceCliException("no admin token: pass --token, set " + TOKEN_ENV + ", or point --data-dir at the local stack's data directory ("
                + file + " does not exist)");
    }

    /** GETs {@code pathAndQuery}; a non-2xx answer becomes a {@link FinanceCliException} with the problem's detail. */
    Answer get(String pathAndQuery, String accept) {
        String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + resolveToken(System.getenv())).header("Accept", accept).GET().build();
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new FinanceCliException("cannot reach billing-service at " + base + " (is ./tollgate up running?)");
        } catch (IOException e) {
            throw new FinanceCliException("calling " + base + pathAndQuery + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FinanceCliException("interrupted");
        }
        Answer answer = new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
        if (answer.status() / 100 != 2) {
            String detail = answer.body();
            if (answer.contentType().startsWith("application/problem+json")) {
                JsonNode problem = answer.json();
                detail = problem.path("title").asText() + ": " + problem.path("detail").asText();
            }
            throw new FinanceCliException("billing-service answered " + answer.status() + " — " + detail);
        }
        return answer;
    }
}
