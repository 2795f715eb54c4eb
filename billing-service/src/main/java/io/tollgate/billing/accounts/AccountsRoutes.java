package io.tollgate.billing.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.schemas.ConsumerIds;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * HTTP of the accounts API (SPEC §7): plans, consumers, credits and balances, every route behind
 * {@link AdminAuth}, which runs before the body is read; consumer ids in paths follow {@code ConsumerIds}. Writes go through {@link AccountsService}; reads answer from the local replica and
 * the balance read model without touching Kafka.
 */
public final class AccountsRoutes {
    static final long MAX_BODY_BYTES = 256 * 1024;
    private final AccountsService service;
    private final BalanceLookup balances;
    private final Handler<RoutingContext> auth;

    public AccountsRoutes(AccountsService service, BalanceLookup balances, Handler<RoutingContext> auth) {
        this.service = service;
        this.balances = balances;
        this.auth = auth;
    }

    public void mount(Router router) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        Handler<RoutingContext> consumerId = validConsumerId("id");
        router.put("/v1/plans/:id").handler(auth).handler(body).handler(ctx ->
                write(ctx, json -> service.putPlan(ctx.pathParam("id"), json), w -> AccountJson.plan(w.stored()), w -> w.created() ? 201 : 200));
        router.get("/v1/plans/:id").handler(auth).handler(ctx -> service.state().plan(ctx.pathParam("id")).ifPresentOrElse(
                plan -> HttpAnswers.json(ctx, 200, AccountJson.plan(plan)),
                () -> HttpAnswers.notFound(ctx, "no plan named " + ctx.pathParam("id"))));

        router.put("/v1/consumers/:id").handler(auth).handler(body).handler(consumerId).handler(ctx ->
                write(ctx, json -> service.putConsumer(ctx.pathParam("id"), json), w -> AccountJson.consumer(w.stored()), w -> w.created() ? 201 : 200));
        router.get("/v1/consumers/:id").handler(auth).handler(consumerId).handler(ctx -> service.state().consumer(ctx.pathParam("id")).ifPresentOrElse(
                consumer -> HttpAnswers.json(ctx, 200, AccountJson.consumer(consumer)),
                () -> HttpAnswers.notFound(ctx, "no consumer named " + ctx.pathParam("id"))));

        router.post("/v1/consumers/:id/credits").handler(auth).handler(body).handler(consumerId).handler(ctx ->
                write(ctx, json -> service.grantCredits(ctx.pathParam("id"), json), w -> AccountJson.credit(w.stored()), w -> w.created() ? 201 : 200));

        router.get("/v1/consumers/:id/balance").handler(auth).handler(consumerId).handler(this::balance);
    }

    /**
     * Answers 400 naming {@code field} when the path parameter {@code param} is not a consumer id (SPEC §6); runs after
     * the credentials check, so an unauthenticated caller learns nothing from it.
     */
    public static Handler<RoutingContext> validConsumerId(String param) {
        return ctx -> {
            String problem = ConsumerIds.problem(ctx.pathParam(param));
            if (problem != null) {
                HttpAnswers.invalid(ctx, InvalidRequest.of(param, problem));
                return;
            }
            ctx.next();
        };
    }

    private void balance(RoutingContext ctx) {
        String consumer = ctx.pathParam("id");
        balances.balanceOf(consumer).ifPresentOrElse(
                balance -> HttpAnswers.json(ctx, 200, AccountJson.balance(balance)),
                () -> HttpAnswers.notFound(ctx, service.state().consumer(consumer).isPresent()
                        ? "consumer " + consumer + " has no balance yet; the streams application has not published one"
                        : "no consumer named " + consumer));
    }

    private <W> void write(RoutingContext ctx, Function<JsonNode, CompletableFuture<W>> write,
                           Function<W, JsonNode> render, Function<W, Integer> status) {
        JsonNode json;
        try {
            json = HttpAnswers.body(ctx);
        } catch (InvalidRequest invalid) {
            HttpAnswers.invalid(ctx, invalid);
            return;
        }
        Context context = ctx.vertx().getOrCreateContext();
        write.apply(json).whenComplete((written, failure) -> context.runOnContext(v -> {
            if (failure != null) {
                HttpAnswers.failure(ctx, failure);
            } else {
                HttpAnswers.json(ctx, status.apply(written), render.apply(written));
            }
        }));
    }
}
