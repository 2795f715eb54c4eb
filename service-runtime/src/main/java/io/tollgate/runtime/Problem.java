package io.tollgate.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerResponse;

/**
 * RFC 9457 problem details: {@code type}, {@code title}, {@code status}, {@code detail}, plus members of
 * our own. Every error a Tollgate HTTP service answers is one of these.
 */
public final class Problem {
    public static final String CONTENT_TYPE = "application/problem+json";
    public static final String TYPE_BASE = "https://tollgate.dev/problems/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Problem() {
    }

    /** A problem body; add members to the returned node before sending. */
    public static ObjectNode of(int status, String type, String title, String detail) {
        ObjectNode body = JSON.createObjectNode();
        body.put("type", TYPE_BASE + type);
        body.put("title", title);
        body.put("status", status);
        if (detail != null) {
            body.put("detail", detail);
        }
        return body;
    }

    public static void send(HttpServerResponse response, ObjectNode body) {
        response.setStatusCode(body.path("status").asInt(500))
                .putHeader("Content-Type", CONTENT_TYPE)
                .end(body.toString());
    }

    public static void send(HttpServerResponse response, int status, String type, String title, String detail) {
        send(response, of(status, type, title, detail));
    }
}
