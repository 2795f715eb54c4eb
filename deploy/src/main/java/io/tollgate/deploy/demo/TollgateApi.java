package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/** The HTTP surface of SPEC §5-§7 that the demo drives: ingest, decisions, accounts and finance. */
public final class TollgateApi {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    public record Reply(int status, String contentType, String raw, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        public String reason() {
            return body.path("reason").asText("");
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json;
    private final String ingestUrl;
    private final String billingUrl;
    private final String adminToken;
    private final String decisionToken;

    /**
     * @param decisionToken sent as {@code Authorization: Bearer} on decisions, as a gateway does; null sends none
     */
    public TollgateApi(ObjectMapper json, String ingestUrl, String billingUrl, String adminToken, String decisionToken) {
        this.json = json;
        this.ingestUrl = trimSlash(ingestUrl);
        this.billingUrl = trimSlash(billingUrl);
        this.adminToken = adminToken;
        this.decisionToken = decisionToken;
    }

    /** Without a decision token: for stacks whose decisions are open. */
    public TollgateApi(ObjectMapper json, String ingestUrl, String billingUrl, String adminToken) {
        this(json, ingestUrl, billingUrl, adminToken, null);
    }

    Reply ingest(String path, String contentType, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(ingestUrl + path))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    public Reply putPlan(String plan, ObjectNode body) {
        return expectOk("PUT /v1/plans/" + plan, admin(billingUrl + "/v1/plans/" + encode(plan))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    public Reply putConsumer(String consumer, ObjectNode body) {
        return expectOk("PUT /v1/consumers/" + consumer, admin(billingUrl + "/v1/consumers/" + encode(consumer))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    public Reply grantCredits(String consumer, String amount, String idempotencyKey, String reason) {
        ObjectNode body = json.createObjectNode();
        body.put("amount", amount);
        body.put("idempotencyKey", idempotencyKey);
        body.put("reason", reason);
        return expectOk("POST /v1/consumers/" + consumer + "/credits",
                admin(billingUrl + "/v1/consumers/" + encode(consumer) + "/credits")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    /** The live balance; a 404 (no balance yet) is returned, not thrown, so callers can wait for it. */
    public Reply balance(String consumer) {
        return send(admin(billingUrl + "/v1/consumers/" + encode(consumer) + "/balance").GET());
    }

    /** Forward auth as a gateway asks it: any method on /v1/authorize, the consumer in X-Consumer-Id, the gateway's token. */
    public Reply authorize(String consumer) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(billingUrl + "/v1/authorize")).header("X-Consumer-Id", consumer);
        if (decisionToken != null) {
            request.header("Authorization", "Bearer " + decisionToken);
        }
        return send(request.GET());
    }

    Reply usage(Instant from, Instant to, String granularity) {
        String query = "from=" + encode(from.toString()) + "&to=" + encode(to.toString()) + "&granularity=" + granularity;
        return expectOk("GET /v1/usage", admin(billingUrl + "/v1/usage?" + query).header("Accept", "application/json").GET());
    }

    Reply invoice(String consumer, String period) {
        return expectOk("GET /v1/consumers/" + consumer + "/invoices/" + period,
                admin(billingUrl + "/v1/consumers/" + encode(consumer) + "/invoices/" + encode(period)).GET());
    }

    private HttpRequest.Builder admin(String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + adminToken);
    }

    private Reply expectOk(String what, HttpRequest.Builder request) {
        Reply reply = send(request);
        if (!reply.ok()) {
            throw new DemoFailure(what + " answered " + reply.status() + ": " + reply.raw());
        }
        return reply;
    }

    private Reply send(HttpRequest.Builder builder) {
        HttpRequest request = builder.timeout(TIMEOUT).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            return new Reply(response.statusCode(), contentType, response.body(), parse(response.body()));
        } catch (IOException e) {
            throw new DemoFailure(request.method() + " " + request.uri() + " failed: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoFailure("interrupted during " + request.method() + " " + request.uri(), e);
        }
    }

    private JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            return json.readTree(body);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    private byte[] bytes(JsonNode node) {
        try {
            return json.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
