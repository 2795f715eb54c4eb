package io.tollgate.billing.decision;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.avro.Balance;
import io.tollgate.runtime.Problem;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
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
 */
public final class DecisionEndpoints {
    public static final String AUTHORIZE = "/v1/authorize";
    public static final String DECISIONS = "/v1/decisions";
    public static final CharSequence CONSUMER_HEADER = HttpHeaders.createOptimized("X-Tollgate-Consumer");
    public static final CharSequence BALANCE_HEADER = HttpHeaders.createOptimized("X-Tollgate-Balance");
    public static final CharSequence REASON_HEADER = HttpHeaders.createOptimized("X-Tollgate-Reason");
    public static final CharSequence STATUS_HEADER = HttpHeaders.createOptimized("X-Tollgate-Status");
    public static final CharSequence PROBLEM_HEADER = HttpHeaders.createOptimized("X-Tollgate-Problem");
    public static final CharSequence MODE_HEADER = HttpHeaders.createOptimized("X-Tollgate-Mode");
    public static final CharSequence SECRET_HEADER = HttpHeaders.createOptimized("X-Tollgate-Secret");
    public static final CharSequence ESTIMATE_HEADER = HttpHeaders.createOptimized("X-Usage-Estimate");
    private static final CharSequence JSON_TYPE = HttpHeaders.createOptimized("application/json");
    private static final CharSequence PROBLEM_TYPE = HttpHeaders.createOptimized(Problem.CONTENT_TYPE);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter ASCII_JSON = JSON.writer().with(JsonGenerator.Feature.ESCAPE_NON_ASCII);
    private static final int MAX_BODY_BYTES = 16 * 1024;

    private final DecisionService service;
    private final DecisionMetrics metrics;
    private final CharSequence[] identityHeaders;
    private final String topUpUrl;
    private final byte[] sharedSecret;

    /**
     * @param identityHeaders headers naming the consumer, first non-empty wins
     * @param topUpUrl        where to top up, {@code {consumer}} replaced; blank for none
     * @param sharedSecret    required in {@code X-Tollgate-Secret} when not blank
     */
    public DecisionEndpoints(DecisionService service, DecisionMetrics metrics, List<String> identityHeaders,
                             String topUpUrl, String sharedSecret) {
        this.service = service;
        this.metrics = metrics;
        this.identityHeaders = identityHeaders.stream().map(HttpHeaders::createOptimized).toArray(CharSequence[]::new);
        this.topUpUrl = topUpUrl == null || topUpUrl.isBlank() ? null : topUpUrl;
        this.sharedSecret = sharedSecret == null || sharedSecret.isEmpty() ? null : sharedSecret.getBytes(StandardCharsets.UTF_8);
    }

    /** True for {@code /v1/authorize} and every path under it. */
    public static boolean isAuthorizePath(String path) {
        return path != null && path.startsWith(AUTHORIZE)
                && (path.length() == AUTHORIZE.length() || path.charAt(AUTHORIZE.length()) == '/');
    }

    /** Mounts {@code POST /v1/decisions}. Forward auth is served by {@link #authorize} before the router. */
    public void mount(Router router) {
        router.post(DECISIONS).handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES)).handler(this::decisions);
    }

    /** {@code ANY /v1/authorize[/**]}: forward auth for gateways. */
    public void authorize(HttpServerRequest request) {
        long start = System.nanoTime();
        HttpServerResponse response = request.response();
        MultiMap headers = request.headers();
        boolean nginx = "nginx".equalsIgnoreCase(headers.get(MODE_HEADER));
        if (!secretMatches(headers.get(SECRET_HEADER))) {
            deny(response, Reason.INVALID_SECRET, null, null, "Header X-Tollgate-Secret is missing or wrong.", nginx, start);
            return;
        }
        String consumer = identity(headers);
        if (consumer == null) {
            deny(response, Reason.MISSING_CONSUMER, null, null,
                    "None of the identity headers is set: " + String.join(", ", identityHeaders) + ".", nginx, start);
            return;
        }
        Estimate estimate;
        try {
            estimate = Estimate.parseHeader(headers.get(ESTIMATE_HEADER));
        } catch (IllegalArgumentException e) {
            deny(response, Reason.INVALID_ESTIMATE, consumer, null, "X-Usage-Estimate: " + e.getMessage(), nginx, start);
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
        deny(response, decision.reason(), consumer, outcome, decision.detail(), nginx, start);
    }

    private void decisions(RoutingContext ctx) {
        long start = System.nanoTime();
        HttpServerResponse response = ctx.response();
        if (!secretMatches(ctx.request().getHeader(SECRET_HEADER))) {
            deny(response, Reason.INVALID_SECRET, null, null, "Header X-Tollgate-Secret is missing or wrong.", false, start);
            return;
        }
        JsonNode body;
        try {
            Buffer buffer = ctx.body().buffer();
            body = buffer == null ? null : JSON.readTree(buffer.getBytes());
        } catch (java.io.IOException e) {
            body = null;
        }
        if (body == null || !body.isObject()) {
            deny(response, Reason.INVALID_ESTIMATE, null, null,
                    "The body must be a JSON object: {\"consumer\", \"api\", \"estimate\"}.", false, start);
            return;
        }
        String consumer = body.path("consumer").isTextual() ? body.path("consumer").asText().trim() : "";
        if (consumer.isEmpty()) {
            deny(response, Reason.MISSING_CONSUMER, null, null, "Field consumer is missing or empty.", false, start);
            return;
        }
        Estimate estimate;
        try {
            estimate = estimateOf(body.get("estimate"));
        } catch (IllegalArgumentException e) {
            deny(response, Reason.INVALID_ESTIMATE, consumer, null, "estimate: " + e.getMessage(), false, start);
            return;
        }
        DecisionService.Outcome outcome = service.decide(consumer, estimate);
        Decision decision = outcome.decision();
        if (!decision.allowed()) {
            deny(response, decision.reason(), consumer, outcome, decision.detail(), false, start);
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

    private static Estimate estimateOf(JsonNode node) {
        if (node == null || node.isNull()) {
            return Estimate.NONE;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("must be an object of meter: units");
        }
        Map<String, Long> units = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode value = e.getValue();
            if (!value.canConvertToExactIntegral() || !value.canConvertToLong() || value.asLong() < 0) {
                throw new IllegalArgumentException("units of " + e.getKey() + " must be a non-negative integer");
            }
            units.put(e.getKey(), value.asLong());
        }
        return Estimate.of(units);
    }

    private String identity(MultiMap headers) {
        for (CharSequence name : identityHeaders) {
            String value = headers.get(name);
            if (value != null) {
                value = value.trim();
                if (!value.isEmpty()) {
                    return value;
                }
            }
        }
        return null;
    }

    private boolean secretMatches(String presented) {
        return sharedSecret == null
                || presented != null && MessageDigest.isEqual(sharedSecret, presented.getBytes(StandardCharsets.UTF_8));
    }

    private void deny(HttpServerResponse response, Reason reason, String consumer, DecisionService.Outcome outcome,
                      String detail, boolean nginx, long start) {
        ObjectNode body = DenyBody.of(reason, consumer, outcome, detail, topUpUrl);
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
