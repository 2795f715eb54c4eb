package io.tollgate.ingest.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestConfig;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.ingest.format.ApiparkLogParser;
import io.tollgate.ingest.format.ApisixLogParser;
import io.tollgate.ingest.format.CanonicalEventParser;
import io.tollgate.ingest.format.CloudEventsBinary;
import io.tollgate.ingest.format.CloudEventsParser;
import io.tollgate.ingest.format.EventParser;
import io.tollgate.ingest.format.JsonBodies;
import io.tollgate.ingest.format.KongLogParser;
import io.tollgate.ingest.format.MalformedBodyException;
import io.tollgate.ingest.format.ParseResult;
import io.tollgate.ingest.publish.PublishRejectedException;
import io.tollgate.ingest.publish.UsagePublisher;
import io.tollgate.runtime.OpsRoutes;
import io.tollgate.runtime.Problem;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.PlatformHandler;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The HTTP door of metering-ingest: {@code POST /v1/events} (canonical JSON, CloudEvents structured and
 * batch), {@code /v1/events/kong}, {@code /v1/events/apisix}, {@code /v1/events/apipark}, and the Firehose
 * contract on {@code /v1/events/aws-firehose} ({@link FirehoseEndpoint}). A request is all or nothing: 202 only once
 * Kafka acknowledged every event; 400 naming each bad event (index, field, reason) with nothing published;
 * 401 without an accepted token; 413 too large; 415 unknown content type; 503 with Retry-After when Kafka is
 * unreachable or the in-flight bound is reached. Nothing here blocks the event loop: big bodies are parsed
 * on a worker and sends complete asynchronously.
 */
public final class IngestHttpServer {
    static final String NONE = "";
    private static final String INPUT = "tollgate.input";
    private static final int INLINE_PARSE_LIMIT = 256 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final IngestConfig config;
    private final UsagePublisher publisher;
    private final IngestMetrics metrics;
    private final PrometheusMeterRegistry prometheus;
    private final Supplier<OpsRoutes.Readiness> readiness;
    private final BearerTokens tokens;
    private final Clock clock;
    private final int maxBatchEvents;
    private final String retryAfter;
    private final FirehoseEndpoint firehose;

    @FunctionalInterface
    interface Splitter {
        List<JsonNode> split(byte[] body) throws MalformedBodyException;
    }

    /** How one media type on one endpoint is read. */
    record Input(EventParser parser, Splitter splitter) {
    }

    /** One ingest route: the media types it takes (NONE = no Content-Type header). */
    record Endpoint(String path, String name, Map<String, Input> byMediaType) {
    }

    public IngestHttpServer(Vertx vertx, IngestConfig config, UsagePublisher publisher, IngestMetrics metrics,
                            PrometheusMeterRegistry prometheus, Supplier<OpsRoutes.Readiness> readiness, Clock clock) {
        this.vertx = vertx;
        this.config = config;
        this.publisher = publisher;
        this.metrics = metrics;
        this.prometheus = prometheus;
        this.readiness = readiness;
        this.tokens = new BearerTokens(config.tokens());
        this.clock = clock;
        this.maxBatchEvents = config.getInt(IngestConfig.MAX_BATCH_EVENTS);
        this.retryAfter = Integer.toString(config.getInt(IngestConfig.RETRY_AFTER_SECONDS));
        this.firehose = new FirehoseEndpoint(vertx, tokens, publisher, metrics, clock, maxBatchEvents, retryAfter);
    }

    static List<Endpoint> endpoints() {
        Input canonical = new Input(new CanonicalEventParser(), JsonBodies::objectOrArray);
        CloudEventsParser cloudEvents = new CloudEventsParser();
        Input kong = new Input(new KongLogParser(), JsonBodies::objectOrArray);
        Input apisix = new Input(new ApisixLogParser(), JsonBodies::objectArrayOrLines);
        Input apipark = new Input(new ApiparkLogParser(), JsonBodies::objectArrayOrLines);
        return List.of(
                new Endpoint("/v1/events", "events", Map.of(
                        "application/json", canonical,
                        "application/cloudevents+json", new Input(cloudEvents, JsonBodies::object),
                        "application/cloudevents-batch+json", new Input(cloudEvents, JsonBodies::array))),
                new Endpoint("/v1/events/kong", "kong", Map.of("application/json", kong, NONE, kong)),
                new Endpoint("/v1/events/apisix", "apisix", Map.of("application/json", apisix, "text/plain", apisix,
                        "application/x-ndjson", apisix, NONE, apisix)),
                new Endpoint("/v1/events/apipark", "apipark", Map.of("application/json", apipark, NONE, apipark)));
    }

    public Router router() {
        Router router = Router.router(vertx);
        OpsRoutes.mount(router, prometheus, readiness);
        BodyHandler body = BodyHandler.create(false).setBodyLimit(config.getInt(IngestConfig.MAX_BODY_BYTES));
        for (Endpoint endpoint : endpoints()) {
            router.post(endpoint.path())
                    .handler(beforeBody(ctx -> authorize(ctx, endpoint)))
                    .handler(beforeBody(ctx -> selectInput(ctx, endpoint)))
                    .handler(body)
                    .handler(this::ingest)
                    .failureHandler(ctx -> failed(ctx, endpoint));
        }
        router.post(FirehoseEndpoint.PATH)
                .handler(beforeBody(firehose::authorize))
                .handler(body)
                .handler(firehose::ingest)
                .failureHandler(ctx -> {
                    if (ctx.statusCode() == 413) {
                        firehose.tooLarge(ctx, config.getInt(IngestConfig.MAX_BODY_BYTES));
                    } else {
                        ctx.next();
                    }
                });
        return router;
    }

    /**
     * Credentials and the content type are checked before a body is read, so a refused request costs no
     * body buffering. Vert.x lets only platform handlers run ahead of the body handler, hence the marker.
     */
    private static Handler<RoutingContext> beforeBody(Handler<RoutingContext> check) {
        return (PlatformHandler) check::handle;
    }

    /**
     * Listens with one server per event loop ({@code tollgate.ingest.http.instances}), so that parsing spreads over
     * the cores. On port 0 (tests) a single server is started, as each would otherwise pick its own free port.
     * Completes with the port listened on.
     */
    public Future<Integer> start() {
        HttpServerOptions options = new HttpServerOptions()
                .setHost(config.getString(IngestConfig.HOST))
                .setPort(config.getInt(IngestConfig.PORT))
                .setDecompressionSupported(true)
                // Bodies of an h2c upgrade request skip the decompressor: stay on HTTP/1.1, which every gateway uses.
                .setHttp2ClearTextEnabled(false)
                .setIdleTimeout(120);
        int instances = options.getPort() == 0 ? 1 : config.getInt(IngestConfig.HTTP_INSTANCES);
        AtomicInteger port = new AtomicInteger();
        return vertx.deployVerticle(() -> new AbstractVerticle() {
                    @Override
                    public void start(Promise<Void> started) {
                        vertx.createHttpServer(options).requestHandler(router()).listen()
                                .onSuccess(server -> {
                                    port.set(server.actualPort());
                                    started.complete();
                                })
                                .onFailure(started::fail);
                    }
                }, new DeploymentOptions().setInstances(instances))
                .map(deployment -> port.get());
    }

    private void authorize(RoutingContext ctx, Endpoint endpoint) {
        if (tokens.accepts(ctx.request().getHeader("Authorization"))) {
            ctx.next();
            return;
        }
        metrics.refused(endpoint.name(), "unauthorized");
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"tollgate-ingest\"");
        Problem.send(ctx.response(), 401, "unauthorized", "Unauthorized",
                "Send an ingest token in the Authorization header: Bearer <token>.");
    }

    private void selectInput(RoutingContext ctx, Endpoint endpoint) {
        String mediaType = mediaType(ctx.request().getHeader("Content-Type"));
        if (endpoint.path().equals("/v1/events") && ctx.request().getHeader("ce-specversion") != null) {
            ctx.put(INPUT, binaryCloudEvent(ctx));
            ctx.next();
            return;
        }
        Input input = endpoint.byMediaType().get(mediaType);
        if (input == null) {
            metrics.refused(endpoint.name(), "unsupported_media_type");
            List<String> accepted = endpoint.byMediaType().keySet().stream().filter(t -> !t.equals(NONE)).sorted().toList();
            Problem.send(ctx.response(), 415, "unsupported-media-type", "Unsupported media type",
                    "Content-Type " + (mediaType.equals(NONE) ? "(none)" : mediaType) + " is not accepted on "
                            + endpoint.path() + "; use one of " + String.join(", ", accepted) + ".");
            return;
        }
        ctx.put(INPUT, input);
        ctx.next();
    }

    /** CloudEvents binary content mode: attributes in {@code ce-*} headers, the body is the (JSON) data. */
    private static Input binaryCloudEvent(RoutingContext ctx) {
        Map<String, String> headers = new HashMap<>();
        ctx.request().headers().forEach(header -> headers.put(header.getKey(), header.getValue()));
        return new Input(new CloudEventsParser(),
                body -> List.of(CloudEventsBinary.toStructured(headers, CloudEventsBinary.HTTP_PREFIX, body)));
    }

    static String mediaType(String contentType) {
        if (contentType == null) {
            return NONE;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private void failed(RoutingContext ctx, Endpoint endpoint) {
        if (ctx.statusCode() == 413) {
            metrics.refused(endpoint.name(), "body_too_large");
            Problem.send(ctx.response(), 413, "body-too-large", "Body too large",
                    "The body exceeds " + config.getInt(IngestConfig.MAX_BODY_BYTES) + " bytes.");
            return;
        }
        ctx.next();
    }

    /** What a body became before publishing. */
    private sealed interface Outcome {
        record Malformed(String detail) implements Outcome {
        }

        record TooMany(int events) implements Outcome {
        }

        record Invalid(int events, List<ParseResult.Invalid> errors) implements Outcome {
        }

        /** {@code indices} holds, for each event, the index of its element in the request. */
        record Ready(List<UsageEvent> events, List<Integer> indices, List<ParseResult.Skipped> skipped) implements Outcome {
        }
    }

    private void ingest(RoutingContext ctx) {
        Input input = ctx.get(INPUT);
        byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        Instant receivedAt = Instant.ofEpochMilli(clock.millis());
        if (body.length <= INLINE_PARSE_LIMIT) {
            answer(ctx, input, body.length, read(input, body, receivedAt));
        } else {
            vertx.executeBlocking(() -> read(input, body, receivedAt), false)
                    .onSuccess(outcome -> answer(ctx, input, body.length, outcome))
                    .onFailure(ctx::fail);
        }
    }

    private Outcome read(Input input, byte[] body, Instant receivedAt) {
        List<JsonNode> elements;
        try {
            elements = input.splitter().split(body);
        } catch (MalformedBodyException e) {
            return new Outcome.Malformed(e.getMessage());
        }
        if (elements.size() > maxBatchEvents) {
            return new Outcome.TooMany(elements.size());
        }
        List<ParseResult> results = input.parser().parseAll(elements, receivedAt);
        List<ParseResult.Invalid> errors = new ArrayList<>();
        List<UsageEvent> events = new ArrayList<>(results.size());
        List<Integer> indices = new ArrayList<>(results.size());
        List<ParseResult.Skipped> skipped = new ArrayList<>();
        for (ParseResult result : results) {
            if (result instanceof ParseResult.Invalid invalid) {
                errors.add(invalid);
            } else if (result instanceof ParseResult.Parsed parsed) {
                events.add(parsed.event());
                indices.add(parsed.index());
            } else if (result instanceof ParseResult.Skipped skip) {
                skipped.add(skip);
            }
        }
        return errors.isEmpty() ? new Outcome.Ready(events, indices, skipped) : new Outcome.Invalid(elements.size(), errors);
    }

    private void answer(RoutingContext ctx, Input input, long bytes, Outcome outcome) {
        String format = input.parser().format();
        if (outcome instanceof Outcome.Malformed malformed) {
            metrics.rejected(format, "malformed", 1);
            Problem.send(ctx.response(), 400, "malformed-body", "Malformed body", malformed.detail());
        } else if (outcome instanceof Outcome.TooMany tooMany) {
            metrics.rejected(format, "batch_too_large", tooMany.events());
            Problem.send(ctx.response(), 413, "batch-too-large", "Batch too large",
                    "The request holds " + tooMany.events() + " events; at most " + maxBatchEvents + " are accepted per request.");
        } else if (outcome instanceof Outcome.Invalid invalid) {
            metrics.rejected(format, "invalid", invalid.events());
            ObjectNode problem = Problem.of(400, "invalid-events", "Invalid events",
                    countBad(invalid.errors()) + " of " + invalid.events() + " events are invalid; nothing was published.");
            ArrayNode errors = problem.putArray("errors");
            for (ParseResult.Invalid error : invalid.errors()) {
                errors.addObject().put("index", error.index()).put("field", error.field()).put("reason", error.reason());
            }
            Problem.send(ctx.response(), problem);
        } else if (outcome instanceof Outcome.Ready ready) {
            publish(ctx, format, bytes, ready);
        }
    }

    private static long countBad(List<ParseResult.Invalid> errors) {
        return errors.stream().mapToInt(ParseResult.Invalid::index).distinct().count();
    }

    private void publish(RoutingContext ctx, String format, long bytes, Outcome.Ready ready) {
        ready.skipped().forEach(skip -> metrics.skipped(format, skip.reason()));
        Timer.Sample sample = Timer.start();
        Future.fromCompletionStage(publisher.publish(ready.events(), bytes), vertx.getOrCreateContext())
                .onComplete(result -> {
                    sample.stop(metrics.publishLatency());
                    if (result.succeeded()) {
                        metrics.accepted(format, ready.events().size());
                        ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
                                .end(JSON.createObjectNode().put("accepted", ready.events().size())
                                        .put("skipped", ready.skipped().size()).toString());
                        return;
                    }
                    Throwable error = result.cause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : result.cause();
                    PublishRejectedException rejected = error instanceof PublishRejectedException known ? known
                            : new PublishRejectedException(PublishRejectedException.Reason.UNAVAILABLE, String.valueOf(error), error);
                    unavailable(ctx, format, ready, rejected);
                });
    }

    /**
     * 503 with Retry-After. Some events of the request may be in Kafka already: {@code accepted} lists the indices of
     * those Kafka acknowledged before the answer, {@code failed} the indices of the others, which were not acknowledged
     * in time (some may still land) and are to be sent again; a resent event that did land is deduplicated on (source, id).
     */
    private void unavailable(RoutingContext ctx, String format, Outcome.Ready ready, PublishRejectedException rejected) {
        List<Integer> acknowledged = rejected.acknowledged();
        ArrayNode accepted = JSON.createArrayNode();
        ArrayNode failed = JSON.createArrayNode();
        int next = 0;
        for (int position = 0; position < ready.events().size(); position++) {
            if (next < acknowledged.size() && acknowledged.get(next) == position) {
                accepted.add(ready.indices().get(position));
                next++;
            } else {
                failed.add(ready.indices().get(position));
            }
        }
        if (!accepted.isEmpty()) {
            metrics.accepted(format, accepted.size());
        }
        metrics.rejected(format, rejected.reason().label(), failed.size());
        ctx.response().putHeader("Retry-After", retryAfter);
        ObjectNode problem;
        if (rejected.reason() == PublishRejectedException.Reason.SATURATED) {
            problem = Problem.of(503, "saturated", "Ingest saturated",
                    "Too many events are waiting for Kafka; nothing of this request was published. Retry later.");
        } else {
            problem = Problem.of(503, "kafka-unavailable", "Kafka unavailable", "Kafka acknowledged " + accepted.size() + " of "
                    + ready.events().size() + " events in time: accepted lists them by index, failed the others. Retry later with "
                    + "the failed ones (or the whole request: events already written are deduplicated on (source, id)).");
        }
        problem.set("accepted", accepted);
        problem.set("failed", failed);
        Problem.send(ctx.response(), problem);
    }
}
