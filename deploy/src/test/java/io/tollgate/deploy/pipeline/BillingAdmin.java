package io.tollgate.deploy.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The admin and finance API of a running billing-service (SPEC §7) as tests use it: plans, prepaid consumers, credits,
 * balances, usage and invoices, with the admin token.
 */
public final class BillingAdmin {
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final String baseUrl;
    private final String token;

    public BillingAdmin(String baseUrl, String token) {
        this.baseUrl = baseUrl;
        this.token = token;
    }

    /** @param period {@code month} or {@code day} */
    public void putPlan(String plan, String period, Map<String, PlanMeter> meters) {
        ObjectNode body = json.createObjectNode();
        body.put("currency", "USD");
        body.put("period", period);
        ObjectNode prices = body.putObject("meters");
        meters.forEach((meter, price) -> {
            ObjectNode node = prices.putObject(meter).put("unitPrice", price.unitPrice()).put("per", price.per());
            if (price.included() > 0) {
                node.put("included", price.included());
            }
        });
        expect2xx("PUT /v1/plans/" + plan, request("/v1/plans/" + plan).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    public void putPrepaidConsumer(String consumer, String plan) {
        ObjectNode body = json.createObjectNode().put("plan", plan).put("status", "active").put("billing", "prepaid");
        expect2xx("PUT /v1/consumers/" + consumer, request("/v1/consumers/" + consumer).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    public void grantCredits(String consumer, String amount, String idempotencyKey) {
        ObjectNode body = json.createObjectNode().put("amount", amount).put("idempotencyKey", idempotencyKey).put("reason", "test top-up");
        expect2xx("POST /v1/consumers/" + consumer + "/credits",
                request("/v1/consumers/" + consumer + "/credits").POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    /** The balance, or empty while streams has published none (404) or billing cannot be reached. */
    public Optional<JsonNode> balance(String consumer) {
        try {
            HttpResponse<String> response = http.send(request("/v1/consumers/" + consumer + "/balance").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(json.readTree(response.body())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the balance of " + consumer, e);
        }
    }

    /** {@code GET pathAndQuery} as JSON; anything but 200 fails the test with the answer. */
    public JsonNode getJson(String pathAndQuery) {
        try {
            return json.readTree(get(pathAndQuery, "application/json").body());
        } catch (IOException e) {
            throw new AssertionError("GET " + pathAndQuery + " is not JSON: " + e.getMessage(), e);
        }
    }

    /** {@code GET pathAndQuery} with {@code Accept}; a 200, anything else fails the test with the answer. */
    public HttpResponse<String> get(String pathAndQuery, String accept) {
        HttpResponse<String> response = send("GET " + pathAndQuery, request(pathAndQuery).header("Accept", accept).GET());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET " + pathAndQuery + " answered " + response.statusCode() + ": " + response.body());
        }
        return response;
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
    }

    private void expect2xx(String what, HttpRequest.Builder request) {
        HttpResponse<String> response = send(what, request);
        if (response.statusCode() / 100 != 2) {
            throw new AssertionError(what + " answered " + response.statusCode() + ": " + response.body());
        }
    }

    private HttpResponse<String> send(String what, HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(what + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted during " + what, e);
        }
    }

    private byte[] bytes(JsonNode node) {
        try {
            return json.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
