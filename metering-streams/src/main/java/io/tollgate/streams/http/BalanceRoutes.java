package io.tollgate.streams.http;

import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.Problem;
import io.tollgate.schemas.ConsumerIds;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * {@code GET /v1/balances/{consumer}}: the interactive query of one balance, behind the admin token
 * ({@code TOLLGATE_ADMIN_TOKENS}, the tokens billing-service accepts; none configured refuses every call). Balances
 * are what a consumer owes and holds, so they are never open. Answers 200 with the balance, 307 to the instance that
 * holds the consumer, 404, or 503 while the stores are not queryable.
 */
public final class BalanceRoutes {
    public static final String PATH = "/v1/balances/:consumer";
    private final Function<String, BalanceLookup.Result> lookup;
    private final BearerTokens adminTokens;

    public BalanceRoutes(Function<String, BalanceLookup.Result> lookup, BearerTokens adminTokens) {
        this.lookup = lookup;
        this.adminTokens = adminTokens;
    }

    public void mount(Router router) {
        router.get(PATH).handler(this::balance);
    }

    private void balance(RoutingContext ctx) {
        String authorization = ctx.request().getHeader("Authorization");
        if (!adminTokens.acceptsHeader(authorization)) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"tollgate-admin\"");
            Problem.send(ctx.response(), 401, "unauthorized", "Unauthorized", authorization == null
                    ? "this endpoint requires Authorization: Bearer <admin token>"
                    : "the bearer token is not one of TOLLGATE_ADMIN_TOKENS");
            return;
        }
        String consumer = ctx.pathParam("consumer");
        String problem = ConsumerIds.problem(consumer);
        if (problem != null) {
            Problem.send(ctx.response(), Problem.of(400, "invalid-request", "Invalid request", "consumer: " + problem)
                    .put("field", "consumer").put("reason", problem));
            return;
        }
        BalanceLookup.Result result = lookup.apply(consumer);
        if (result instanceof BalanceLookup.Found found) {
            ctx.response().putHeader("Content-Type", "application/json").end(BalanceJson.of(found.balance()).toString());
        } else if (result instanceof BalanceLookup.Elsewhere elsewhere) {
            String location = "http://" + elsewhere.host().host() + ":" + elsewhere.host().port() + "/v1/balances/"
                    + URLEncoder.encode(consumer, StandardCharsets.UTF_8).replace("+", "%20");
            ctx.response().setStatusCode(307).putHeader("Location", location).end();
        } else if (result instanceof BalanceLookup.NotFound) {
            Problem.send(ctx.response(), Problem.of(404, "unknown-consumer", "Unknown consumer",
                    "no usage or account event seen for consumer " + consumer).put("consumer", consumer));
        } else if (result instanceof BalanceLookup.Unavailable unavailable) {
            ctx.response().putHeader("Retry-After", "1");
            Problem.send(ctx.response(), 503, "state-unavailable", "Balances are not queryable right now", unavailable.reason());
        }
    }
}
