package io.tollgate.billing.decision;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.avro.Balance;
import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.LogSafe;
import io.tollgate.runtime.Problem;
import io.tollgate.schemas.ConsumerIds;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decision endpoints of SPEC §6 over HTTP. Forward auth ({@code ANY /v1/authorize[/**]}) is served straight from
 * the server's request handler, before the router, and answers an allowed call with an empty {@code 200} carrying
 * {@code X-Tollgate-Consumer} and {@code X-Tollgate-Balance}; {@code POST /v1/decisions} takes and answers JSON.
 * Every deny is a problem+json body with {@code X-Tollgate-Reason}; none is a 5xx. With {@code X-Tollgate-Mode: nginx}
 * a deny other than 401 becomes {@code 403} with {@code X-Tollgate-Status} (nginx's auth_request knows only 401 and
 * 403) and the body is also sent, escaped to ASCII, in {@code X-Tollgate-Problem} for nginx to answer with.
 *
 * <p>Before deciding, {@link GatewayChecks} checks the gateway's credentials, the consumer id and the estimate. An
 * unexpected failure anywhere is answered at once with {@code 500} ({@code internal_error}, problem+json) and logged:
 * no request is left without an answer. {@code POST /v1/decisions} reads its body only after the credentials passed.
 */
public final class DecisionEndpoints {
    private static final Logger log = LoggerFactory.getLogger(DecisionEndpoints.class);
    public static final String AUTHORIZE = "/v1/authorize";
    public static final String DECISIONS = "/v1/decisions";
    public static final CharSequence CONSUMER_HEADER = HttpHeaders.createOptimized("X-Tollgate-Consumer");
    public static final CharSequence BALANCE_HEADER = HttpHeaders.createOptimized("X-Tollgate-Balance");
    public static final CharSequence REASON_HEADER = HttpHeaders.createOptimized("X-Tollgate-Reason");
    public static final CharSequence STATUS_HEADER = HttpHeaders.createOptimized("X-Tollgate-Status");
    public static final CharSequence PROBLEM_HEADER = HttpHeaders.createOptimized("X-Tollgate-Problem");
    public static final CharSequence MODE_HEADER = HttpHeaders.createOptimized("X-Tollgate-Mode");
    public static final CharSequence SECRET_HEADER = HttpHeaders.createOptimized(GatewayChecks.SECRET_HEADER);
    public static final CharSequence ESTIMATE_HEADER = HttpHeaders.createOptimized("X-Usage-Estimate");
    private static final CharSequence JSON_TYPE = HttpHeaders.createOptimized("application/json");
    private static final CharSequence PROBLEM_TYPE = HttpHeaders.createOptimized(Problem.CONTENT_TYPE);
    private static final String WWW_AUTHENTICATE = "Bearer realm=\"tollgate-decisions\"";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter ASCII_JSON = JSON.writer().with(JsonGenerator.Feature.ESCAPE_NON_ASCII);
    private static final int MAX_BODY_BYTES = 16 * 1024;

    private final DecisionService service;
    private final DecisionMetrics metrics;
    private final GatewayChecks checks;
    private final String topUpUrl;

    /**
     * @param topUpUrl where to top up, {@code {consumer}} replaced; blank for none
     */
    public DecisionEndpoints(DecisionService service, DecisionMetrics metrics, GatewayChecks checks, String topUpUrl) {
        this.service = service;
        this.metrics = metrics;
        this.checks = checks;
        this.topUpUrl = topUpUrl == null || topUpUrl.isBlank() ? null : topUpUrl;
    }

    /**
     * Without gateway tokens and with the default estimate bound.
     *
     * @param identityHeaders headers naming the consumer, first non-empty wins
     * @param topUpUrl        where to top up, {@code {consumer}} replaced; blank for none
     * @param sharedSecret    required in {@code X-Tollgate-Secret} when not blank
     */
    public DecisionEndpoints(DecisionService service, DecisionMetrics metrics, List<String> identityHeaders,
                             String topUpUrl, String sharedSecret) {
        this(service, metrics, new GatewayChecks(identityHeaders, sharedSecret, BearerTokens.parse(""), Estimate.DEFAULT_MAX_UNITS),
                topUpUrl);
    }

    /** True for {@code /v1/authorize} and every path under it. */
    public static boolean isAuthorizePath(String path) {
        return path != null && path.startsWith(AUTHORIZE)
                && (path.length() == AUTHORIZE.length() || path.charAt(AUTHORIZE.length()) == '/');
    }

    /** Mounts {@code POST /v1/decisions}: credentials, then the body. Forward auth is served by {@link #authorize} before the router. */
    public void mount(Router router) {
        // a SecurityPolicyHandler is the kind of handler Vert.x lets run before BodyHandler: credentials before the body
        SecurityPolicyHandler credentials = this::decisionCredentials;
        router.post(DECISIONS)
                .handler(credentials)
                .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
                .handler(this::decisions)
                .failureHandler(this::decisionsFailure);
    }

    /** {@code ANY /v1/authorize[/**]}: forward auth for gateways. */
    public void authorize(HttpServerRequest request) {
        long start = System.nanoTime();
        boolean nginx = false;
        try {
            nginx = "nginx".equalsIgnoreCase(request.headers().get(MODE_HEADER));
            authorize(request, nginx, start);
        } catch (RuntimeException e) {
            internalError(request, e, nginx, start);
        }
    }

    private void authorize(HttpServerRequest request, boolean nginx, long start) {
        HttpServerResponse response = request.response();
        MultiMap headers = request.headers();
        GatewayChecks.Rejected rejected = checks.credentials(headers.get(HttpHeaders.AUTHORIZATION), headers.get(SECRET_HEADER));
        if (rejected != null) {
            reject(response, rejected, nginx, start);
            return;
        }
        GatewayChecks.Identity identity = checks.identity(headers::get);
        if (identity instanceof GatewayChecks.Rejected notIdentified) {
            reject(response, notIdentified, nginx, start);
            return;
        }
        String consumer = ((GatewayChecks.Identified) identity).consumer();
        Estimate estimate;
        try {
            estimate = checks.estimate(headers.get(ESTIMATE_HEADER));
        } catch (IllegalArgumentException e) {
            deny(response, Reason.INVALID_ESTIMATE, "X-Usage-Estimate", consumer, null, "X-Usage-Estimate: " + e.getMessage(), nginx, start);
            return;
        }
        DecisionService.Outcome outcome = service.decide(consumer, estimate);
        Decision decision = outcome.decision();
        if (decision.allowed()) {
            response.putHeader(CONSUMER_HEADER, consumer);
            if (outcome.view() != null) {
                response.putHeader(BALANCE_HEADER, MicrosText.format(decision.remainingMicros()));
            }
            response.end();
            metrics.record(null, start);
            return;
        }
        deny(response, decision.reason(), null, consumer, outcome, decision.detail(), nginx, start);
    }

    /** Runs before the body of {@code POST /v1/decisions} is read: an unauthenticated caller never gets it buffered. */
    private void decisionCredentials(RoutingContext ctx) {
        long start = System.nanoTime();
        try {
            MultiMap headers = ctx.request().headers();
            GatewayChecks.Rejected rejected = checks.credentials(headers.get(HttpHeaders.AUTHORIZATION), headers.get(SECRET_HEADER));
            if (rejected != null) {
                reject(ctx.response(), rejected, false, start);
                return;
            }
        } catch (RuntimeException e) {
            internalError(ctx.request(), e, false, start);
            return;
        }
        ctx.next();
    }

    private void decisions(RoutingContext ctx) {
        long start = System.nanoTime();
        try {
            decisions(ctx, start);
        } catch (RuntimeException e) {
            internalError(ctx.request(), e, false, start);
        }
    }

    private void decisions(RoutingContext ctx, long start) {
        HttpServerResponse response = ctx.response();
        JsonNode body;
        try {
            Buffer buffer = ctx.body().buffer();
            body = buffer == null ? null : JSON.readTree(buffer.getBytes());
        } catch (java.io.IOException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            deny(response, Reason.INVALID_REQUEST, "body", null, null,
                    "The body must be a JSON object: {\"consumer\", \"api\", \"estimate\"}.", false, start);
            return;
        }
        JsonNode consumerNode = body.path("consumer");
        if (consumerNode.isMissingNode() || consumerNode.isNull() || consumerNode.isTextual() && consumerNode.asText().isBlank()) {
            deny(response, Reason.MISSING_CONSUMER, "consumer", null, null, "Field consumer is missing or empty.", false, start);
            return;
        }
        if (!consumerNode.isTextual()) {
            deny(response, Reason.INVALID_CONSUMER, "consumer", null, null, "Field consumer must be a string.", false, start);
            return;
        }
        GatewayChecks.Identity identity = GatewayChecks.consumer("consumer", ConsumerIds.normalize(consumerNode.asText()));
        if (identity instanceof GatewayChecks.Rejected invalid) {
            reject(response, invalid, false, start);
            return;
        }
        String consumer = ((GatewayChecks.Identified) identity).consumer();
        Estimate estimate;
        try {
            estimate = estimateOf(body.get("estimate"), checks.maxEstimateUnits());
        } catch (IllegalArgumentException e) {
            deny(response, Reason.INVALID_ESTIMATE, "estimate", consumer, null, "estimate: " + e.getMessage(), false, start);
            return;
        }
        DecisionService.Outcome outcome = service.decide(consumer, estimate);
        Decision decision = outcome.decision();
        if (!decision.allowed()) {
            deny(response, decision.reason(), null, consumer, outcome, decision.detail(), false, start);
            return;
        }
        ObjectNode allow = JSON.createObjectNode();
        allow.put("allow", true);
        allow.put("consumer", consumer);
        if (outcome.view() != null) {
            Balance balance = outcome.view().balance();
            allow.put("balance", MicrosText.format(decision.remainingMicros()));
            allow.put("currency", balance.getCurrency());
            allow.put("asOf", balance.getUpdatedAt().toString());
        } else {
            allow.putNull("balance");
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, JSON_TYPE).putHeader(CONSUMER_HEADER, consumer);
        if (outcome.view() != null) {
            response.putHeader(BALANCE_HEADER, MicrosText.format(decision.remainingMicros()));
        }
        response.end(allow.toString());
        metrics.record(null, start);
    }

    /** What the router reports for {@code POST /v1/decisions}: a body over the limit (413), anything else (500). */
    private void decisionsFailure(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        if (response.ended()) {
            return;
        }
        if (ctx.statusCode() == 413) {
            Problem.send(response, 413, "body-too-large", "Request body too large",
                    "A decision request body is at most " + MAX_BODY_BYTES + " bytes.");
            return;
        }
        if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            Problem.send(response, ctx.statusCode(), "invalid-request", "Invalid decision request", "The request body could not be read.");
            return;
        }
        internalError(ctx.request(), ctx.failure() != null ? ctx.failure() : new IllegalStateException("status " + ctx.statusCode()),
                false, System.nanoTime());
    }

    static Estimate estimateOf(JsonNode node, long maxUnits) {
        if (node == null || node.isNull()) {
            return Estimate.NONE;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("must be an object of meter: units");
        }
        Map<String, Long> units = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String meter = Estimate.requireMeterName(e.getKey());
            JsonNode value = e.getValue();
            if (!value.isNumber() || !value.canConvertToExactIntegral() || value.bigIntegerValue().signum() < 0) {
                throw new IllegalArgumentException("units of " + meter + " must be a non-negative integer");
            }
            BigInteger exact = value.bigIntegerValue();
            if (exact.bitLength() > 63) {
                throw Estimate.tooMany(meter, maxUnits, exact.toString());
            }
            units.put(e.getKey(), exact.longValue());
        }
        return Estimate.of(units, maxUnits);
    }

    private void reject(HttpServerResponse response, GatewayChecks.Rejected rejected, boolean nginx, long start) {
        if (rejected.reason() == Reason.INVALID_TOKEN) {
            response.putHeader("WWW-Authenticate", WWW_AUTHENTICATE);
        }
        deny(response, rejected.reason(), rejected.field(), null, null, rejected.detail(), nginx, start);
    }

    private void internalError(HttpServerRequest request, Throwable failure, boolean nginx, long start) {
        log.error("decision failed on {} {}", request.method(), LogSafe.quote(request.uri()), failure);
        HttpServerResponse response = request.response();
        if (response.ended()) {
            return;
        }
        if (response.headWritten()) {
            response.reset();
            return;
        }
        response.headers().clear();
        try {
            deny(response, Reason.INTERNAL_ERROR, null, null, null,
                    "Tollgate could not decide this call (" + failure.getClass().getSimpleName() + "); it is logged.", nginx, start);
        } catch (RuntimeException again) {
            log.error("cannot answer a failed decision; closing the connection", again);
            response.reset();
        }
    }

    private void deny(HttpServerResponse response, Reason reason, String field, String consumer, DecisionService.Outcome outcome,
                      String detail, boolean nginx, long start) {
        ObjectNode body = DenyBody.of(reason, field, consumer, outcome, detail, topUpUrl);
        int status = reason.status();
        response.putHeader(REASON_HEADER, reason.code());
        if (consumer != null) {
            response.putHeader(CONSUMER_HEADER, consumer);
        }
        if (nginx) {
            try {
                response.putHeader(PROBLEM_HEADER, ASCII_JSON.writeValueAsString(body));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write a problem body", e);
            }
            response.putHeader(STATUS_HEADER, Integer.toString(status));
            if (status != 401) {
                status = 403;
            }
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, PROBLEM_TYPE).end(body.toString());
        metrics.record(reason, start);
    }
}
