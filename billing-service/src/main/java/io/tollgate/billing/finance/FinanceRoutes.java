package io.tollgate.billing.finance;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.billing.accounts.AccountJson;
import io.tollgate.billing.accounts.AccountsRoutes;
import io.tollgate.billing.accounts.AccountsState;
import io.tollgate.billing.accounts.HttpAnswers;
import io.tollgate.billing.accounts.InvalidRequest;
import io.tollgate.schemas.ConsumerIds;
import io.tollgate.schemas.money.Money;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP of the finance API (SPEC §7): usage per consumer, meter and hour/day/month bucket from the local
 * replica of usage.hourly, as JSON or CSV, paged; and invoices per billing period. Behind {@link Handler auth}.
 */
public final class FinanceRoutes {
    static final int DEFAULT_LIMIT = 1000;
    private final UsageStore usage;
    private final AccountsState accounts;
    private final Handler<RoutingContext> auth;
    private final int maxLimit;
    private final Clock clock;

    public FinanceRoutes(UsageStore usage, AccountsState accounts, Handler<RoutingContext> auth, int maxLimit, Clock clock) {
        this.usage = usage;
        this.accounts = accounts;
        this.auth = auth;
        this.maxLimit = maxLimit;
        this.clock = clock;
    }

    public void mount(Router router) {
        router.get("/v1/usage").handler(auth).handler(this::usage);
        router.get("/v1/consumers/:id/invoices/:period").handler(auth).handler(AccountsRoutes.validConsumerId("id")).handler(this::invoice);
    }

    private void usage(RoutingContext ctx) {
        UsageQuery.Request request;
        try {
            request = usageRequest(ctx.queryParams());
        } catch (InvalidRequest invalid) {
            HttpAnswers.invalid(ctx, invalid);
            return;
        }
        UsageQuery.Page page = UsageQuery.run(usage, request);
        if (page.next() != null) {
            ctx.response().putHeader("Link", "<" + nextLink(ctx, page.next()) + ">; rel=\"next\"");
        }
        String accept = ctx.request().getHeader("Accept");
        if (accept != null && accept.contains("text/csv")) {
            ctx.response().setStatusCode(200).putHeader("Content-Type", "text/csv; charset=utf-8").end(csv(page));
            return;
        }
        ObjectNode body = AccountJson.JSON.createObjectNode();
        ArrayNode items = body.putArray("items");
        for (UsageQuery.Item item : page.items()) {
            items.addObject().put("consumer", item.consumer()).put("meter", item.meter())
                    .put("start", Instant.ofEpochMilli(item.start()).toString()).put("units", item.units())
                    .put("amount", Money.formatMicros(item.amountMicros()));
        }
        if (page.next() != null) {
            body.put("next", page.next());
        }
        body.put("asOf", usage.asOf().toString());
        HttpAnswers.json(ctx, 200, body);
    }

    /** Defaults: this UTC month so far, by day, {@value #DEFAULT_LIMIT} items. */
    private UsageQuery.Request usageRequest(MultiMap query) throws InvalidRequest {
        Optional<String> consumer = Optional.ofNullable(query.get("consumer")).filter(c -> !c.isBlank());
        if (consumer.isPresent() && ConsumerIds.problem(consumer.get()) != null) {
            throw InvalidRequest.of("consumer", ConsumerIds.problem(consumer.get()));
        }
        long from;
        long to;
        Granularity granularity;
        int limit;
        Instant now = clock.instant();
        from = time("from", query.get("from"), YearMonth.from(now.atZone(ZoneOffset.UTC)).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant());
        to = time("to", query.get("to"), now.plusSeconds(3600));
        if (from >= to) {
            throw InvalidRequest.of("to", "must be after from");
        }
        try {
            granularity = Granularity.parse(Optional.ofNullable(query.get("granularity")).orElse("day"));
        } catch (IllegalArgumentException e) {
            throw InvalidRequest.of("granularity", e.getMessage());
        }
        String limitText = query.get("limit");
        try {
            limit = limitText == null ? Math.min(DEFAULT_LIMIT, maxLimit) : Integer.parseInt(limitText);
        } catch (NumberFormatException e) {
            throw InvalidRequest.of("limit", "must be a whole number");
        }
        if (limit < 1 || limit > maxLimit) {
            throw InvalidRequest.of("limit", "must be between 1 and " + maxLimit);
        }
        Optional<String> cursor = Optional.ofNullable(query.get("cursor")).filter(c -> !c.isBlank());
        if (cursor.isPresent()) {
            try {
                UsageQuery.decodeCursor(cursor.get());
            } catch (IllegalArgumentException e) {
                throw InvalidRequest.of("cursor", e.getMessage());
            }
        }
        return new UsageQuery.Request(consumer, from, to, granularity, limit, cursor);
    }

    private static long time(String field, String text, Instant fallback) throws InvalidRequest {
        if (text == null || text.isBlank()) {
            return fallback.toEpochMilli();
        }
        try {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw InvalidRequest.of(field, "must be an RFC 3339 time such as 2026-11-01T00:00:00Z, not " + text);
        }
    }

    private static String nextLink(RoutingContext ctx, String next) {
        StringBuilder link = new StringBuilder(ctx.request().path()).append('?');
        for (Map.Entry<String, String> param : ctx.queryParams()) {
            if (!param.getKey().equals("cursor")) {
                link.append(encode(param.getKey())).append('=').append(encode(param.getValue())).append('&');
            }
        }
        return link.append("cursor=").append(next).toString();
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    static String csv(UsageQuery.Page page) {
        StringBuilder out = new StringBuilder("consumer,meter,start,units,amount\n");
        for (UsageQuery.Item item : page.items()) {
            out.append(csvField(item.consumer())).append(',').append(csvField(item.meter())).append(',')
                    .append(Instant.ofEpochMilli(item.start())).append(',').append(item.units()).append(',')
                    .append(Money.formatMicros(item.amountMicros())).append('\n');
        }
        return out.toString();
    }

    private static String csvField(String value) {
        if (value.contains(",") || value.contains("\"") || value.contains("\n")) {
            return "\"" + value.replace("\"", "\"\"") + "\"";
        }
        return value;
    }

    private void invoice(RoutingContext ctx) {
        String consumerId = ctx.pathParam("id");
        Invoice.Period period;
        try {
            period = Invoice.Period.parse(ctx.pathParam("period"));
        } catch (IllegalArgumentException e) {
            HttpAnswers.invalid(ctx, InvalidRequest.of("period", e.getMessage()));
            return;
        }
        Optional<AccountsState.StoredConsumer> consumer = accounts.consumer(consumerId);
        if (consumer.isEmpty()) {
            HttpAnswers.notFound(ctx, "no consumer named " + consumerId);
            return;
        }
        String planId = consumer.get().consumer().getPlan();
        Optional<AccountsState.StoredPlan> plan = accounts.plan(planId);
        if (plan.isEmpty()) {
            HttpAnswers.notFound(ctx, "consumer " + consumerId + " is on plan " + planId + ", which is not defined");
            return;
        }
        Invoice invoice;
        try {
            invoice = Invoice.compute(consumerId, period, plan.get().plan(),
                    usage.unitsByMeter(consumerId, period.fromMillis(), period.toMillis()));
        } catch (IllegalArgumentException e) {
            HttpAnswers.invalid(ctx, InvalidRequest.of("period", e.getMessage()));
            return;
        }
        HttpAnswers.json(ctx, 200, json(invoice, usage.asOf()));
    }

    static ObjectNode json(Invoice invoice, Instant asOf) {
        ObjectNode body = AccountJson.JSON.createObjectNode();
        body.put("consumer", invoice.consumer());
        body.put("period", invoice.period());
        body.put("plan", invoice.plan());
        body.put("currency", invoice.currency());
        ArrayNode lines = body.putArray("lines");
        for (Invoice.Line line : invoice.lines()) {
            lines.addObject().put("meter", line.meter()).put("units", line.units()).put("included", line.included())
                    .put("billable", line.billable()).put("unitPrice", Money.formatNanos(line.unitPriceNanos()))
                    .put("per", line.per()).put("amount", Money.formatMicros(line.amountMicros()));
        }
        body.put("total", Money.formatMicros(invoice.totalMicros()));
        body.put("asOf", asOf.toString());
        return body;
    }
}
