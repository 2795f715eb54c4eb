package io.tollgate.ingest.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.ingest.IngestConfig;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.runtime.OpsRoutes;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Over HTTP, an event whose consumer is not a valid consumer id makes the request a 400 naming index and field. */
class ConsumerIdsOverHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final FakePublisher publisher = new FakePublisher();
    private int port;

    @BeforeEach
    void start() throws Exception {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        IngestHttpServer server = new IngestHttpServer(vertx, new IngestConfig(Map.of(IngestConfig.PORT, 0)), publisher,
                new IngestMetrics(prometheus), prometheus, OpsRoutes.Readiness::yes,
                Clock.fixed(Instant.parse("2026-11-21T10:00:05Z"), ZoneOffset.UTC));
        port = server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aCanonicalEventWithCrLfInItsConsumerIs400NamingIndexAndField() throws Exception {
        HttpResponse<String> response = post("/v1/events",
                "[{\"id\": \"e0\", \"consumer\": \"acme\"}, {\"id\": \"e1\", \"consumer\": \"acme\\r\\nforged\"}]");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("errors").get(0);
        assertThat(error.path("index").asInt()).isEqualTo(1);
        assertThat(error.path("field").asText()).isEqualTo("consumer");
        assertThat(error.path("reason").asText()).startsWith("has a control or invisible character (U+000D) at position 4;");
        assertThat(publisher.published()).isEmpty();
    }

    @Test
    void aKongRecordWithAnInvisibleConsumerIs400() throws Exception {
        HttpResponse<String> response = post("/v1/events/kong", """
                {"request": {"id": "k-1", "method": "GET", "uri": "/orders"}, "response": {"status": 200}, "source": "upstream",
                 "started_at": 1763719200000, "consumer": {"custom_id": "ac\\u200Bme"}}""");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("errors").get(0).path("field").asText()).isEqualTo("consumer.custom_id");
    }
}
