package io.tollgate.ingest.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Timer;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.ingest.format.AwsAccessLogParser;
import io.tollgate.ingest.format.JsonBodies;
import io.tollgate.ingest.format.MalformedBodyException;
import io.tollgate.ingest.format.ParseResult;
import io.tollgate.ingest.publish.PublishRejectedException;
import io.tollgate.ingest.publish.UsagePublisher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/**
 * {@code POST /v1/events/aws-firehose}: the Amazon Data Firehose HTTP-endpoint destination contract
 * (GATEWAYS.md part 2 §2.4) carrying API Gateway access-log lines. The access key
 * ({@code X-Amz-Firehose-Access-Key}) must be one of the ingest tokens when tokens are configured. Every answer is
 * Firehose's JSON, {@code {"requestId", "timestamp"}} plus {@code errorMessage} when not 200; 200 only after Kafka
 * acknowledged every event. A delivery retried with the same {@code X-Amz-Firehose-Request-Id} after a 200 is
 * answered 200 again without publishing; any other repeat is deduplicated downstream on (source, id).
 */
final class FirehoseEndpoint {
    static final String PATH = "/v1/events/aws-firehose";
    static final String ACCESS_KEY = "X-Amz-Firehose-Access-Key";
    static final String REQUEST_ID = "X-Amz-Firehose-Request-Id";
    private static final int INLINE_PARSE_LIMIT = 256 * 1024;
    private static final int MAX_LISTED_ERRORS = 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final BearerTokens tokens;
    private final UsagePublisher publisher;
    private final IngestMetrics metrics;
    private final Clock clock;
    private final int maxBatchEvents;
    private final String retryAfter;
    private final AwsAccessLogParser parser = new AwsAccessLogParser();
    private final RecentRequestIds delivered = new RecentRequestIds(100_000);

    FirehoseEndpoint(Vertx vertx, BearerTokens tokens, UsagePublisher publisher, IngestMetrics metrics, Clock clock,
                     int maxBatchEvents, String retryAfter) {
        this.vertx = vertx;
        this.tokens = tokens;
        this.publisher = publisher;
        this.metrics = metrics;
        this.clock = clock;
        this.maxBatchEvents = maxBatchEvents;
        this.retryAfter = retryAfter;
    }

    void authorize(RoutingContext ctx) {
        String key = ctx.request().getHeader(ACCESS_KEY);
        if (tokens.open() || (key != null && tokens.acceptsToken(key.trim()))
                || tokens.accepts(ctx.request().getHeader("Authorization"))) {
            ctx.next();
            return;
        }
        metrics.refused("aws-firehose", "unauthorized");
        answer(ctx, 401, ctx.request().getHeader(REQUEST_ID), "unknown or missing " + ACCESS_KEY);
    }

    void tooLarge(RoutingContext ctx, long limit) {
        metrics.refused("aws-firehose", "body_too_large");
        answer(ctx, 413, ctx.request().getHeader(REQUEST_ID),
                "the delivery exceeds " + limit + " bytes; lower the stream's buffering size");
    }

    void ingest(RoutingContext ctx) {
        String headerId = ctx.request().getHeader(REQUEST_ID);
        if (delivered.contains(headerId)) {
            metrics.skipped(parser.format(), "redelivery");
            answer(ctx, 200, headerId, null);
            return;
        }
        byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        Instant receivedAt = Instant.ofEpochMilli(clock.millis());
        if (body.length <= INLINE_PARSE_LIMIT) {
            respond(ctx, headerId, body.length, read(body, receivedAt));
        } else {
            vertx.executeBlocking(() -> read(body, receivedAt), false)
                    .onSuccess(delivery -> respond(ctx, headerId, body.length, delivery))
                    .onFailure(ctx::fail);
        }
    }

    /** A delivery, read: its id, and either an error message or what its records became. */
    private record Delivery(String requestId, String error, int status, List<UsageEvent> events, int skipped, int records) {
    }

    private Delivery read(byte[] body, Instant receivedAt) {
        JsonNode envelope;
        try {
            envelope = JsonBodies.object(body).get(0);
        } catch (MalformedBodyException e) {
            return new Delivery(null, e.getMessage(), 400, List.of(), 0, 0);
        }
        String requestId = envelope.path("requestId").asText(null);
        JsonNode records = envelope.get("records");
        if (records == null || !records.isArray()) {
            return new Delivery(requestId, "records: required (an array)", 400, List.of(), 0, 0);
        }
        if (records.size() > maxBatchEvents) {
            return new Delivery(requestId, "the delivery holds " + records.size() + " records; at most " + maxBatchEvents
                    + " are accepted", 413, List.of(), 0, records.size());
        }
        List<ParseResult> results = new ArrayList<>(records.size());
        for (int i = 0; i < records.size(); i++) {
            JsonNode data = records.get(i).get("data");
            if (data == null || !data.isTextual()) {
                results.add(new ParseResult.Invalid(i, "records[" + i + "].data", "required (base64 of an access-log line)"));
                continue;
            }
            byte[] line;
            try {
                line = Base64.getDecoder().decode(data.textValue());
            } catch (IllegalArgumentException e) {
                results.add(new ParseResult.Invalid(i, "records[" + i + "].data", "not base64"));
                continue;
            }
            try {
                for (JsonNode element : JsonBodies.objectArrayOrLines(line)) {
                    parser.parseChecked(i, element, receivedAt, results);
                }
            } catch (MalformedBodyException e) {
                results.add(new ParseResult.Invalid(i, "records[" + i + "].data", e.getMessage()));
            }
        }
        List<UsageEvent> events = new ArrayList<>();
        List<ParseResult.Invalid> errors = new ArrayList<>();
        int skipped = 0;
        for (ParseResult result : results) {
            if (result instanceof ParseResult.Parsed parsed) {
                events.add(parsed.event());
            } else if (result instanceof ParseResult.Invalid invalid) {
                errors.add(invalid);
            } else if (result instanceof ParseResult.Skipped skip) {
                metrics.skipped(parser.format(), skip.reason());
                skipped++;
            }
        }
        if (!errors.isEmpty()) {
            String message = errors.stream().limit(MAX_LISTED_ERRORS)
                    .map(e -> "record " + e.index() + " " + e.field() + ": " + e.reason())
                    .collect(Collectors.joining("; "))
                    + (errors.size() > MAX_LISTED_ERRORS ? "; and " + (errors.size() - MAX_LISTED_ERRORS) + " more" : "");
            return new Delivery(requestId, message, 400, List.of(), 0, records.size());
        }
        return new Delivery(requestId, null, 200, events, skipped, records.size());
    }

    private void respond(RoutingContext ctx, String headerId, long bytes, Delivery delivery) {
        String requestId = headerId != null ? headerId : delivery.requestId();
        if (delivery.error() != null) {
            metrics.rejected(parser.format(), delivery.status() == 413 ? "batch_too_large" : "invalid", Math.max(1, delivery.records()));
            answer(ctx, delivery.status(), requestId, delivery.error());
            return;
        }
        Timer.Sample sample = Timer.start();
        Future.fromCompletionStage(publisher.publish(delivery.events(), bytes), vertx.getOrCreateContext())
                .onComplete(result -> {
                    sample.stop(metrics.publishLatency());
                    if (result.succeeded()) {
                        delivered.add(requestId);
                        metrics.accepted(parser.format(), delivery.events().size());
                        answer(ctx, 200, requestId, null);
                        return;
                    }
                    Throwable error = result.cause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : result.cause();
                    PublishRejectedException.Reason reason = error instanceof PublishRejectedException rejected
                            ? rejected.reason() : PublishRejectedException.Reason.UNAVAILABLE;
                    metrics.rejected(parser.format(), reason.label(), delivery.events().size());
                    ctx.response().putHeader("Retry-After", retryAfter);
                    answer(ctx, 503, requestId, reason == PublishRejectedException.Reason.SATURATED
                            ? "ingest is saturated; retry later" : "Kafka did not acknowledge the records in time; retry later");
                });
    }

    private void answer(RoutingContext ctx, int status, String requestId, String errorMessage) {
        ObjectNode body = JSON.createObjectNode();
        body.put("requestId", requestId);
        body.put("timestamp", clock.millis());
        if (errorMessage != null) {
            body.put("errorMessage", errorMessage);
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
    }
}
