package io.tollgate.billing.accounts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.runtime.LogSafe;
import io.tollgate.runtime.Problem;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/** The closed set of answers of the accounts and finance API: JSON bodies and problem+json errors. */
public final class HttpAnswers {
    private static final Logger log = LoggerFactory.getLogger(HttpAnswers.class);

    private HttpAnswers() {
    }

    public static void json(RoutingContext ctx, int status, JsonNode body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toString());
    }

    /** The request body as JSON, or an {@link InvalidRequest} naming the body. */
    public static JsonNode body(RoutingContext ctx) throws InvalidRequest {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw InvalidRequest.of("body", "is required: a JSON object");
        }
        try {
            return AccountJson.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw InvalidRequest.of("body", "malformed JSON: " + e.getOriginalMessage());
        }
    }

    public static void invalid(RoutingContext ctx, InvalidRequest invalid) {
        InvalidRequest.FieldError first = invalid.errors().get(0);
        ObjectNode body = Problem.of(400, "invalid-request", "Invalid request", first.field() + ": " + first.reason());
        body.put("field", first.field());
        body.put("reason", first.reason());
        ArrayNode errors = body.putArray("errors");
        invalid.errors().forEach(e -> errors.addObject().put("field", e.field()).put("reason", e.reason()));
        Problem.send(ctx.response(), body);
    }

    public static void notFound(RoutingContext ctx, String detail) {
        Problem.send(ctx.response(), 404, "not-found", "Not found", detail);
    }

    /** Maps a failed write or query to its problem; anything unexpected is a logged 500. */
    public static void failure(RoutingContext ctx, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof InvalidRequest invalid) {
            invalid(ctx, invalid);
        } else if (cause instanceof AccountsService.UnknownResource unknown) {
            notFound(ctx, unknown.getMessage());
        } else if (cause instanceof AccountsService.IdempotencyConflict conflict) {
            Problem.send(ctx.response(), 409, "idempotency-conflict", "Idempotency key reused", conflict.getMessage());
        } else if (cause instanceof AccountsService.NotReady notReady) {
            ctx.response().putHeader("Retry-After", "1");
            Problem.send(ctx.response(), 503, "unavailable", "Not ready", notReady.getMessage());
        } else if (cause instanceof AccountsLog.AccountsLogException logFailure) {
            log.warn("write to billing.accounts failed: {}", logFailure.getMessage());
            ctx.response().putHeader("Retry-After", "5");
            Problem.send(ctx.response(), 503, "unavailable", "Kafka unavailable",
                    logFailure.getMessage() + "; nothing was answered as written, retry the same request");
        } else {
            log.error("unexpected failure on {} {}", ctx.request().method(), LogSafe.quote(ctx.request().path()), cause);
            Problem.send(ctx.response(), 500, "internal", "Internal error", cause.getClass().getSimpleName());
        }
    }
}
