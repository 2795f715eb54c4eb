package io.tollgate.ingest.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestConfig;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.runtime.OpsRoutes;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class IngestHttpServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-21T10:00:05Z");
    private static final String KONG_RECORD = """
            {"request": {"id": "k-1", "method": "GET", "uri": "/orders?x=1", "size": 139},
             "response": {"status": 200, "size": 9982}, "source": "upstream", "started_at": 1726783839538,
             "service": {"name": "orders"}, "route": {"name": "list-orders"}, "consumer": {"id": "u-1", "custom_id": "acme"}}
            """;

    private final Vertx vertx = Vertx.vertx();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final FakePublisher publisher = new FakePublisher();
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private int port;

    @AfterEach
    void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private void start(Map<String, Object> settings) throws Exception {
        Map<String, Object> all = new HashMap<>(settings);
        all.put(IngestConfig.PORT, 0);
        IngestConfig config = new IngestConfig(all);
        IngestHttpServer server = new IngestHttpServer(vertx, config, publisher, new IngestMetrics(prometheus), prometheus,
                OpsRoutes.Readiness::yes, Clock.fixed(NOW, ZoneOffset.UTC));
        port = server.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HttpResponse<String> post(String path, String contentType, String body, String... headers) throws Exception {
        return post(path, contentType, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private HttpResponse<String> post(String path, String contentType, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    @Test
    void acceptsACanonicalBatchOnlyAfterEveryEventIsPublished() throws Exception {
        start(Map.of());

        HttpResponse<String> response = post("/v1/events", "application/json; charset=utf-8", """
                [{"id": "e1", "consumer": "acme", "meters": {"input_tokens": "1.2e3"}},
                 {"id": "e2", "consumer": "globex", "time": "2026-11-21T09:00:00Z"}]
                """);

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json(response.body())).isEqualTo(json("{\"accepted\": 2, \"skipped\": 0}"));
        assertThat(publisher.published()).extracting(UsageEvent::getId, UsageEvent::getConsumer, UsageEvent::getEventTime)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("e1", "acme", NOW),
                        org.assertj.core.groups.Tuple.tuple("e2", "globex", Instant.parse("2026-11-21T09:00:00Z")));
        assertThat(publisher.published().get(0).getMeters()).isEqualTo(Map.of("input_tokens", 1200L));
    }

    @Test
    void rejectsBatchWithInvalidEventsNamingIndexFieldAndReasonAndPublishesNothing() throws Exception {
        start(Map.of());

        HttpResponse<String> response = post("/v1/events", "application/json", """
                [{"id": "e0", "consumer": "acme"}, {"id": "e1", "consumer": "acme"}, {"id": "e2", "consumer": "acme"},
                 {"id": "e3"}, {"id": "e4", "consumer": "acme", "meters": {"requests": -1}}]
                """);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(response.body())).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/invalid-events", "title": "Invalid events", "status": 400,
                 "detail": "2 of 5 events are invalid; nothing was published.",
                 "errors": [{"index": 3, "field": "consumer", "reason": "required"},
                            {"index": 4, "field": "meters.requests", "reason": "must not be negative"}]}
                """));
        assertThat(publisher.published()).isEmpty();
    }

    @Test
    void rejectsBodiesThatAreNotJson() throws Exception {
        start(Map.of());

        HttpResponse<String> response = post("/v1/events", "application/json", "{\"id\": ");

        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode body = json(response.body());
        assertThat(body.get("type").asText()).isEqualTo("https://tollgate.dev/problems/malformed-body");
        assertThat(body.get("detail").asText()).startsWith("not valid JSON at line 1, column 8");
    }

    @Test
    void takesCloudEventsInStructuredAndBatchMode() throws Exception {
        start(Map.of());
        String event = """
                {"specversion": "1.0", "id": "ce-1", "source": "gw://eu-1", "type": "com.acme.api.request", "subject": "acme",
                 "data": {"requests": "1", "bytes_in": "139"}}""";

        HttpResponse<String> single = post("/v1/events", "application/cloudevents+json", event);
        HttpResponse<String> batch = post("/v1/events", "application/cloudevents-batch+json",
                "[" + event + "," + event.replace("ce-1", "ce-2") + "]");
        HttpResponse<String> singleAsBatch = post("/v1/events", "application/cloudevents-batch+json", event);

        assertThat(single.statusCode()).isEqualTo(202);
        assertThat(json(single.body())).isEqualTo(json("{\"accepted\": 1, \"skipped\": 0}"));
        assertThat(batch.statusCode()).isEqualTo(202);
        assertThat(json(batch.body())).isEqualTo(json("{\"accepted\": 2, \"skipped\": 0}"));
        assertThat(singleAsBatch.statusCode()).isEqualTo(400);
        assertThat(json(singleAsBatch.body()).get("detail").asText()).isEqualTo("the body must be one JSON array");
        assertThat(publisher.published()).extracting(UsageEvent::getId).containsExactly("ce-1", "ce-1", "ce-2");
        assertThat(publisher.published().get(0).getSource()).isEqualTo("gw://eu-1");
    }

    @Test
    void acceptsKongBatchesAndCountsGatewayResponsesAsSkipped() throws Exception {
        start(Map.of());
        String denied = KONG_RECORD.replace("\"k-1\"", "\"k-2\"").replace("\"upstream\"", "\"kong\"");

        HttpResponse<String> response = post("/v1/events/kong", "application/json", "[" + KONG_RECORD + "," + denied + "]");

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response.body())).isEqualTo(json("{\"accepted\": 1, \"skipped\": 1}"));
        assertThat(publisher.published()).singleElement().satisfies(event -> {
            assertThat(event.getId()).isEqualTo("k-1");
            assertThat(event.getConsumer()).isEqualTo("acme");
            assertThat(event.getPath()).isEqualTo("/orders");
        });
        assertThat(prometheus.scrape()).contains(
                "tollgate_ingest_events_skipped_total{format=\"kong\",reason=\"gateway_response\"} 1.0",
                "tollgate_ingest_events_accepted_total{format=\"kong\"} 1.0");
    }

    @Test
    void acceptsNewlineDelimitedApisixBodies() throws Exception {
        start(Map.of());
        String line = """
                {"start_time": 1619414294760, "route_id": "1", "request": {"method": "GET", "uri": "/hello", "size": 90, "headers": {"x-request-id": "ID"}}, "response": {"status": 200, "size": 190}, "consumer": {"username": "jack"}}""";

        HttpResponse<String> response = post("/v1/events/apisix", "text/plain", line.replace("ID", "a") + "\n" + line.replace("ID", "b") + "\n");

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response.body())).isEqualTo(json("{\"accepted\": 2, \"skipped\": 0}"));
        assertThat(publisher.published()).extracting(UsageEvent::getId).containsExactly("a", "b");
    }

    @Test
    void refusesUnknownContentTypesWith415() throws Exception {
        start(Map.of());

        HttpResponse<String> response = post("/v1/events", "text/csv", "id,consumer\n1,acme\n");

        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(json(response.body())).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/unsupported-media-type", "title": "Unsupported media type", "status": 415,
                 "detail": "Content-Type text/csv is not accepted on /v1/events; use one of application/cloudevents+json, application/cloudevents-batch+json, application/json."}
                """));
        assertThat(publisher.published()).isEmpty();
    }

    @Test
    void requiresAConfiguredBearerTokenWhenTokensAreSet() throws Exception {
        start(Map.of(IngestConfig.TOKENS, "tok-a, tok-b"));
        String event = "{\"id\": \"e1\", \"consumer\": \"acme\"}";

        HttpResponse<String> none = post("/v1/events", "application/json", event);
        HttpResponse<String> wrong = post("/v1/events", "application/json", event, "Authorization", "Bearer tok-c");
        HttpResponse<String> right = post("/v1/events", "application/json", event, "Authorization", "Bearer tok-b");

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"tollgate-ingest\"");
        assertThat(json(none.body())).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/unauthorized", "title": "Unauthorized", "status": 401,
                 "detail": "Send an ingest token in the Authorization header: Bearer <token>."}
                """));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(right.statusCode()).isEqualTo(202);
        assertThat(publisher.published()).hasSize(1);
    }

    @Test
    void refusesBodiesOverTheByteLimitWith413() throws Exception {
        start(Map.of(IngestConfig.MAX_BODY_BYTES, 2048));
        String big = "[" + "{\"id\": \"e\", \"consumer\": \"acme\"},".repeat(100) + "{\"id\": \"z\", \"consumer\": \"acme\"}]";

        HttpResponse<String> response = post("/v1/events", "application/json", big);

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response.body())).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/body-too-large", "title": "Body too large", "status": 413,
                 "detail": "The body exceeds 2048 bytes."}
                """));
        assertThat(publisher.published()).isEmpty();
    }

    @Test
    void refusesBatchesOverTheEventLimitWith413() throws Exception {
        start(Map.of(IngestConfig.MAX_BATCH_EVENTS, 3));

        HttpResponse<String> response = post("/v1/events", "application/json",
                "[" + "{\"id\": \"e\", \"consumer\": \"acme\"},".repeat(3) + "{\"id\": \"z\", \"consumer\": \"acme\"}]");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(json(response.body())).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/batch-too-large", "title": "Batch too large", "status": 413,
                 "detail": "The request holds 4 events; at most 3 are accepted per request."}
                """));
        assertThat(publisher.published()).isEmpty();
    }

    @Test
    void answers503WithRetryAfterWhenSaturated() throws Exception {
        start(Map.of(IngestConfig.RETRY_AFTER_SECONDS, 7));
        publisher.mode = FakePublisher.Mode.SATURATED;

        HttpResponse<String> response = post("/v1/events", "application/json", "{\"id\": \"e1\", \"consumer\": \"acme\"}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("7");
        assertThat(json(response.body())).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/saturated", "title": "Ingest saturated", "status": 503,
                 "detail": "Too many events are waiting for Kafka; nothing of this request was published. Retry later.",
                 "accepted": [], "failed": [0]}
                """));
    }

    @Test
    void answers503WithRetryAfterWhenKafkaDoesNotAcknowledge() throws Exception {
        start(Map.of());
        publisher.mode = FakePublisher.Mode.UNAVAILABLE;

        HttpResponse<String> response = post("/v1/events", "application/json", "{\"id\": \"e1\", \"consumer\": \"acme\"}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(json(response.body())).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/kafka-unavailable", "title": "Kafka unavailable", "status": 503,
                 "detail": "Kafka acknowledged 0 of 1 events in time: accepted lists them by index, failed the others. Retry later with the failed ones (or the whole request: events already written are deduplicated on (source, id)).",
                 "accepted": [], "failed": [0]}
                """));
        assertThat(prometheus.scrape()).contains("tollgate_ingest_events_rejected_total{format=\"canonical\",reason=\"unavailable\"} 1.0");
    }

    @Test
    void a503AfterAPartialWriteListsTheAcceptedAndTheFailedEventsByTheirIndexInTheRequest() throws Exception {
        start(Map.of());
        publisher.mode = FakePublisher.Mode.PARTIAL;
        publisher.acknowledgedPositions = List.of(0, 2);
        String skipped = KONG_RECORD.replace("\"upstream\"", "\"kong\"");

        HttpResponse<String> response = post("/v1/events/kong", "application/json", "[" + KONG_RECORD + "," + skipped + ","
                + KONG_RECORD.replace("k-1", "k-2") + "," + KONG_RECORD.replace("k-1", "k-3") + "]");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("2");
        JsonNode problem = json(response.body());
        assertThat(problem.get("type").asText()).isEqualTo("https://tollgate.dev/problems/kafka-unavailable");
        assertThat(problem.get("detail").asText()).startsWith("Kafka acknowledged 2 of 3 events in time");
        assertThat(problem.get("accepted")).isEqualTo(json("[0, 3]"));
        assertThat(problem.get("failed")).isEqualTo(json("[2]"));
        assertThat(publisher.published()).extracting(UsageEvent::getId).containsExactly("k-1", "k-3");
        assertThat(prometheus.scrape())
                .contains("tollgate_ingest_events_accepted_total{format=\"kong\"} 2.0")
                .contains("tollgate_ingest_events_rejected_total{format=\"kong\",reason=\"unavailable\"} 1.0");
    }

    @Test
    void parsesLargeBodiesOffTheEventLoop() throws Exception {
        start(Map.of());
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < 5000; i++) {
            body.append(i == 0 ? "" : ",").append("{\"id\": \"e").append(i).append("\", \"consumer\": \"acme\", \"path\": \"/")
                    .append("x".repeat(40)).append("\"}");
        }
        body.append("]");

        HttpResponse<String> response = post("/v1/events", "application/json", body.toString());

        assertThat(body.length()).isGreaterThan(256 * 1024);
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response.body())).isEqualTo(json("{\"accepted\": 5000, \"skipped\": 0}"));
    }

    @Test
    void acceptsGzipEncodedBodies() throws Exception {
        start(Map.of());
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write("{\"id\": \"e1\", \"consumer\": \"acme\"}".getBytes(StandardCharsets.UTF_8));
        }

        HttpResponse<String> response = post("/v1/events", "application/json", zipped.toByteArray(), "Content-Encoding", "gzip");

        assertThat(response.body()).isEqualTo("{\"accepted\":1,\"skipped\":0}");
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(publisher.published()).extracting(UsageEvent::getConsumer).containsExactly("acme");
    }

    @Test
    void acceptsGzipEncodedBodiesFromClientsThatOfferAnHttp2Upgrade() throws Exception {
        start(Map.of());
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write("{\"id\": \"e1\", \"consumer\": \"acme\"}".getBytes(StandardCharsets.UTF_8));
        }
        HttpClient upgrading = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();

        HttpResponse<String> response = upgrading.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/events"))
                        .header("Content-Type", "application/json").header("Content-Encoding", "gzip")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(zipped.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(publisher.published()).extracting(UsageEvent::getConsumer).containsExactly("acme");
    }

    @Test
    void servesHealthReadinessAndMetrics() throws Exception {
        start(Map.of());

        HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(json(ready.body())).isEqualTo(json("{\"ready\": true, \"detail\": \"ready\"}"));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("tollgate_ingest_publish_latency_seconds_bucket");
    }

    private static final String AWS_LINE = """
            {"requestId":"c6af9ac6","extendedRequestId":"Tz1ZqFxsIAMFzXw=","accountId":"123456789012","apiId":"ymy8tbxw7b",
             "stage":"prod","resourcePath":"/v1/orders/{id}","path":"/v1/orders/123","httpMethod":"GET","status":"200",
             "requestTimeEpoch":"1761488904123","consumerId":"cons_42","responseLength":"9982","integrationStatus":"200","errorType":"-"}""";

    private static String firehoseDelivery(String requestId, String... lines) {
        StringBuilder records = new StringBuilder();
        for (String line : lines) {
            records.append(records.length() == 0 ? "" : ",").append("{\"data\":\"")
                    .append(java.util.Base64.getEncoder().encodeToString(line.getBytes(StandardCharsets.UTF_8))).append("\"}");
        }
        return "{\"requestId\":\"" + requestId + "\",\"timestamp\":1578090901599,\"records\":[" + records + "]}";
    }

    @Test
    void acknowledgesAFirehoseDeliveryWithFirehosesOwnAnswerOnlyOnce() throws Exception {
        start(Map.of(IngestConfig.TOKENS, "firehose-key"));
        String delivery = firehoseDelivery("ed4acda5-034f-9f42-bba1-f29aea6d7d8f",
                AWS_LINE, AWS_LINE.replace("Tz1ZqFxsIAMFzXw=", "Tz2").replace("\"errorType\":\"-\"", "\"errorType\":\"THROTTLED\""),
                AWS_LINE.replace("Tz1ZqFxsIAMFzXw=", "Tz3") + "\n");
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(delivery.getBytes(StandardCharsets.UTF_8));
        }

        HttpResponse<String> first = post("/v1/events/aws-firehose", "application/json", zipped.toByteArray(),
                "Content-Encoding", "gzip", "X-Amz-Firehose-Access-Key", "firehose-key",
                "X-Amz-Firehose-Request-Id", "ed4acda5-034f-9f42-bba1-f29aea6d7d8f", "X-Amz-Firehose-Protocol-Version", "1.0");
        HttpResponse<String> retried = post("/v1/events/aws-firehose", "application/json", delivery,
                "X-Amz-Firehose-Access-Key", "firehose-key", "X-Amz-Firehose-Request-Id", "ed4acda5-034f-9f42-bba1-f29aea6d7d8f");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(json(first.body())).isEqualTo(json("{\"requestId\": \"ed4acda5-034f-9f42-bba1-f29aea6d7d8f\", \"timestamp\": "
                + NOW.toEpochMilli() + "}"));
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(json(retried.body())).isEqualTo(json(first.body()));
        assertThat(publisher.published()).extracting(UsageEvent::getId).containsExactly("Tz1ZqFxsIAMFzXw=", "Tz3");
        assertThat(publisher.published().get(0).getSource()).isEqualTo("aws-apigw:123456789012/ymy8tbxw7b/prod");
    }

    @Test
    void refusesAFirehoseDeliveryWithAnUnknownAccessKey() throws Exception {
        start(Map.of(IngestConfig.TOKENS, "firehose-key"));

        HttpResponse<String> response = post("/v1/events/aws-firehose", "application/json", firehoseDelivery("req-1", AWS_LINE),
                "X-Amz-Firehose-Access-Key", "guess", "X-Amz-Firehose-Request-Id", "req-1");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(json(response.body())).isEqualTo(json("{\"requestId\": \"req-1\", \"timestamp\": " + NOW.toEpochMilli()
                + ", \"errorMessage\": \"unknown or missing X-Amz-Firehose-Access-Key\"}"));
        assertThat(publisher.published()).isEmpty();
    }

    @Test
    void refusesAFirehoseDeliveryWithBadRecordsNamingThem() throws Exception {
        start(Map.of());
        String delivery = firehoseDelivery("req-2", AWS_LINE, AWS_LINE.replace("\"requestTimeEpoch\":\"1761488904123\"", "\"requestTimeEpoch\":\"-\""))
                .replace("]}", ",{\"data\":\"%%%\"}]}");

        HttpResponse<String> response = post("/v1/events/aws-firehose", "application/json", delivery, "X-Amz-Firehose-Request-Id", "req-2");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response.body())).isEqualTo(json("{\"requestId\": \"req-2\", \"timestamp\": " + NOW.toEpochMilli()
                + ", \"errorMessage\": \"record 1 requestTimeEpoch: required; record 2 records[2].data: not base64\"}"));
        assertThat(publisher.published()).isEmpty();
    }

    @Test
    void answersAFirehoseDelivery503WhenKafkaDoesNotAcknowledgeAndDoesNotRememberIt() throws Exception {
        start(Map.of());
        publisher.mode = FakePublisher.Mode.UNAVAILABLE;

        HttpResponse<String> refused = post("/v1/events/aws-firehose", "application/json", firehoseDelivery("req-3", AWS_LINE),
                "X-Amz-Firehose-Request-Id", "req-3");
        publisher.mode = FakePublisher.Mode.ACKNOWLEDGE;
        HttpResponse<String> retried = post("/v1/events/aws-firehose", "application/json", firehoseDelivery("req-3", AWS_LINE),
                "X-Amz-Firehose-Request-Id", "req-3");

        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(json(refused.body()).get("errorMessage").asText()).isEqualTo("Kafka did not acknowledge the records in time; retry later");
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(publisher.published()).extracting(UsageEvent::getId).containsExactly("Tz1ZqFxsIAMFzXw=");
    }

    @Test
    void acceptsApiparkHttpOutputRecords() throws Exception {
        start(Map.of());

        HttpResponse<String> response = post("/v1/events/apipark", "application/json", """
                {"id":"ap-1","msec":1761488904123,"cluster":"c1","node":"n1","application":"app-42","api":"api-1",
                 "request_method":"POST","uri":"/demo","status":200,"proxy_status":200,"request_length":139,"response_length":"9982",
                 "ai_model_input_token":"","ai_model_output_token":""}""");

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(json(response.body())).isEqualTo(json("{\"accepted\": 1, \"skipped\": 0}"));
        assertThat(publisher.published()).singleElement().satisfies(event -> {
            assertThat(event.getSource()).isEqualTo("apipark:c1/n1");
            assertThat(event.getMeters()).isEqualTo(Map.of("requests", 1L, "bytes_in", 139L, "bytes_out", 9982L));
        });
    }

    @Test
    void takesCloudEventsInBinaryModeFromCeHeaders() throws Exception {
        start(Map.of());

        HttpResponse<String> response = post("/v1/events", "application/json", "{\"meters\": {\"input_tokens\": 7}}",
                "ce-specversion", "1.0", "ce-id", "bin-1", "ce-source", "gw://bin", "ce-type", "api.request", "ce-subject", "acme",
                "ce-time", "2026-11-21T10:00:00Z");
        HttpResponse<String> noSubject = post("/v1/events", "application/json", "{}",
                "ce-specversion", "1.0", "ce-id", "bin-2", "ce-source", "gw://bin", "ce-type", "api.request");

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(publisher.published()).singleElement().satisfies(event -> {
            assertThat(event.getId()).isEqualTo("bin-1");
            assertThat(event.getConsumer()).isEqualTo("acme");
            assertThat(event.getMeters()).isEqualTo(Map.of("input_tokens", 7L));
            assertThat(event.getEventTime()).isEqualTo(Instant.parse("2026-11-21T10:00:00Z"));
        });
        assertThat(noSubject.statusCode()).isEqualTo(400);
        assertThat(json(noSubject.body()).get("errors")).isEqualTo(json("[{\"index\": 0, \"field\": \"subject\", \"reason\": \"required\"}]"));
    }
}
