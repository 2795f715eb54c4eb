package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.schemas.money.Money;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The demo's story on a running stack: define the plan and the consumers, play four rounds of gateway traffic,
 * watch balances and decisions after each, take one consumer through 402 and a top-up back to 200, then read
 * usage and invoices and check every count against what was sent. Every wait is a poll on a condition with a
 * deadline; nothing here sleeps for a fixed time hoping the pipeline has caught up.
 */
final class DemoRun {
    private static final List<String> METERS = List.of(GatewayCall.REQUESTS, GatewayCall.INPUT_TOKENS, GatewayCall.OUTPUT_TOKENS);
    private static final String TOP_UP = "5.00";
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final long SEED = 8_402L;

    private final ObjectMapper json;
    private final TollgateApi api;
    private final RawTopicProducer topics;
    private final LiveTable table;
    private final Clock clock;
    private final Duration stepTimeout;
    private final DemoTraffic traffic;
    private final SentLedger ledger = new SentLedger();
    private final Map<String, Long> grantedMicros = new HashMap<>();
    private final Map<String, List<String>> decisionHistory = new TreeMap<>();
    private final Map<String, String> lastDecision = new HashMap<>();
    private final List<String> failures = new ArrayList<>();
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private boolean problemShown;

    DemoRun(ObjectMapper json, TollgateApi api, RawTopicProducer topics, LiveTable table, Clock clock,
            Duration stepTimeout, String kongTopic, String apisixTopic) {
        this.json = json;
        this.api = api;
        this.topics = topics;
        this.table = table;
        this.clock = clock;
        this.stepTimeout = stepTimeout;
        this.traffic = new DemoTraffic(new GatewayPayloads(json), SEED, kongTopic, apisixTopic);
    }

    /** Runs the story; returns the failed checks (empty when every count matched). */
    List<String> play() {
        defineAccounts();
        for (int round = 1; round <= DemoTraffic.ROUNDS; round++) {
            playRound(round);
            if (round == 2) {
                topUpWhoRanOut();
            }
        }
        financeSummary();
        checkStory();
        return List.copyOf(failures);
    }

    private void defineAccounts() {
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            TollgateApi.Reply existing = api.balance(consumer.id());
            boolean used = false;
            for (JsonNode units : existing.body().path("usage")) {
                used |= units.asLong(0) != 0;
            }
            if (existing.ok() && (used || Money.parseMicros(existing.body().path("credits").asText("0")) > 0)) {
                throw new DemoFailure("this stack already has a consumer " + consumer.id() + " with credits or usage (an"
                        + " earlier demo?); the demo counts from zero, so play it on a fresh stack (./tollgate up --fresh)");
            }
        }
        section("Plan and consumers (billing-service admin API)");
        TollgateApi.Reply plan = api.putPlan(DemoPlan.ID, DemoPlan.body(json));
        table.log("  PUT /v1/plans/pro -> " + plan.status() + "  requests 0.002 (1,000 included), input_tokens 0.50/1M,"
                + " output_tokens 1.50/1M (hard limit 5,000,000)");
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            TollgateApi.Reply reply = api.putConsumer(consumer.id(), consumer.body(json));
            String terms = consumer.prepaid() ? "prepaid" : "postpaid, spend limit " + consumer.spendLimit();
            table.log(String.format(Locale.ROOT, "  PUT /v1/consumers/%-8s -> %d  %s: %s", consumer.id(), reply.status(),
                    terms, consumer.story()));
            if (consumer.credits() != null) {
                grant(consumer.id(), consumer.credits(), "welcome-" + consumer.id() + "-" + runId, "welcome credits");
            }
        }
        awaitStep("accounts ready", () -> {
            List<String> pending = new ArrayList<>();
            for (DemoConsumer consumer : DemoConsumer.ALL) {
                TollgateApi.Reply balance = api.balance(consumer.id());
                if (!balance.ok()) {
                    pending.add(consumer.id() + ": GET balance answered " + balance.status());
                } else if (Money.parseMicros(balance.body().path("credits").asText("0")) != grantedMicros.getOrDefault(consumer.id(), 0L)) {
                    pending.add(consumer.id() + ": credits " + balance.body().path("credits").asText() + ", expected "
                            + Money.formatMicros(grantedMicros.getOrDefault(consumer.id(), 0L)));
                }
            }
            return pending;
        });
        awaitDecisions("before any traffic");
    }

    private void grant(String consumer, String amount, String idempotencyKey, String reason) {
        TollgateApi.Reply reply = api.grantCredits(consumer, amount, idempotencyKey, reason);
        grantedMicros.merge(consumer, Money.parseMicros(amount), Long::sum);
        table.log(String.format(Locale.ROOT, "  POST /v1/consumers/%s/credits %s -> %d", consumer, amount, reply.status()));
    }

    private void playRound(int round) {
        section("Round " + round + "/" + DemoTraffic.ROUNDS + ": gateway traffic");
        List<Delivery> deliveries = traffic.round(round, clock.instant());
        Map<String, int[]> summary = new LinkedHashMap<>();
        List<String> repeats = new ArrayList<>();
        for (Delivery delivery : deliveries) {
            String path = deliver(delivery);
            ledger.record(delivery.calls());
            if (delivery.label().startsWith("duplicate")) {
                repeats.add(String.format(Locale.ROOT, "  %3d x %-58s [%s]", 1, delivery.label(), path));
            } else {
                String kind = delivery.label().replaceAll(" of \\d+", "").replaceAll(", \\d+ LLM calls", "");
                int[] counts = summary.computeIfAbsent(String.format(Locale.ROOT, "%-58s [%s]", kind, path), k -> new int[2]);
                counts[0]++;
                counts[1] += delivery.calls().size();
            }
        }
        topics.flush();
        summary.forEach((what, counts) -> table.log(String.format(Locale.ROOT, "  %3d x %s %5s calls",
                counts[0], what, LiveTable.grouped(counts[1]))));
        repeats.forEach(table::log);
        table.log(String.format(Locale.ROOT, "  so far: %s calls delivered, %s of them duplicates, %s answered by"
                        + " the gateway itself (not billed)", LiveTable.grouped(ledger.delivered()),
                LiveTable.grouped(ledger.duplicates()), LiveTable.grouped(ledger.gatewayGenerated())));
        awaitCounts("after round " + round);
        awaitDecisions("after round " + round);
    }

    /** Sends one delivery; an HTTP delivery must be answered 202 (SPEC §8: acknowledged by Kafka). */
    private String deliver(Delivery delivery) {
        if (delivery instanceof Delivery.Http http) {
            TollgateApi.Reply reply = api.ingest(http.path(), http.contentType(), http.body());
            if (reply.status() != 202) {
                throw new DemoFailure("POST " + http.path() + " (" + http.label() + ") answered " + reply.status()
                        + ", expected 202: " + reply.raw());
            }
            return "POST " + http.path() + " -> 202";
        }
        Delivery.Topic topic = (Delivery.Topic) delivery;
        topics.send(topic.topic(), topic.key(), topic.value());
        return "topic " + topic.topic();
    }

    private void topUpWhoRanOut() {
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            if (!consumer.prepaid() || !lastDecision.getOrDefault(consumer.id(), "").startsWith("402")) {
                continue;
            }
            section("Top-up: " + consumer.id() + " is out of credits");
            String key = "topup-" + consumer.id() + "-" + runId;
            TollgateApi.Reply first = api.grantCredits(consumer.id(), TOP_UP, key, "card payment");
            grantedMicros.merge(consumer.id(), Money.parseMicros(TOP_UP), Long::sum);
            table.log(String.format(Locale.ROOT, "  POST /v1/consumers/%s/credits {\"amount\": \"%s\", \"idempotencyKey\": \"%s\"}"
                    + " -> %d", consumer.id(), TOP_UP, key, first.status()));
            TollgateApi.Reply retry = api.grantCredits(consumer.id(), TOP_UP, key, "card payment");
            table.log("  the same request again (a client retry)               -> " + retry.status()
                    + (retry.body().equals(first.body()) ? ", same answer: credited once" : ", a different answer: " + retry.raw()));
            if (!retry.body().equals(first.body())) {
                failures.add(consumer.id() + ": a repeated idempotencyKey answered differently: " + first.raw() + " then " + retry.raw());
            }
            awaitStep("top-up of " + consumer.id() + " reflected", () -> {
                TollgateApi.Reply balance = api.balance(consumer.id());
                long credits = Money.parseMicros(balance.body().path("credits").asText("0"));
                long expected = grantedMicros.get(consumer.id());
                return credits == expected ? List.of() : List.of(consumer.id() + ": credits "
                        + Money.formatMicros(credits) + ", expected " + Money.formatMicros(expected));
            });
            awaitDecisions("after the top-up of " + consumer.id());
        }
    }

    private void awaitCounts(String when) {
        awaitStep("counts " + when, () -> {
            List<String> pending = new ArrayList<>();
            for (DemoConsumer consumer : DemoConsumer.ALL) {
                TollgateApi.Reply balance = api.balance(consumer.id());
                Map<String, Long> expected = ledger.expectedUnits(consumer.id());
                for (String meter : METERS) {
                    long counted = balance.body().path("usage").path(meter).asLong(0);
                    long want = expected.getOrDefault(meter, 0L);
                    if (counted > want) {
                        throw new DemoFailure(consumer.id() + " " + meter + ": Tollgate counted " + counted + " but the demo"
                                + " sent " + want + " (without duplicates and gateway-generated responses) " + when);
                    }
                    if (counted != want) {
                        pending.add(consumer.id() + " " + meter + " " + counted + "/" + want);
                    }
                }
            }
            return pending;
        });
    }

    /**
     * Waits until each consumer's decision is the one its expected balance implies (402 once credits run out), then
     * records the settled decisions: the story the final check reads.
     */
    private void awaitDecisions(String when) {
        awaitStep("decisions " + when, () -> {
            List<String> pending = new ArrayList<>();
            for (DemoConsumer consumer : DemoConsumer.ALL) {
                String expected = expectedDecision(consumer);
                String actual = decide(consumer.id());
                if (!actual.equals(expected)) {
                    pending.add(consumer.id() + ": " + actual + ", expected " + expected);
                }
            }
            return pending;
        });
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            List<String> history = decisionHistory.computeIfAbsent(consumer.id(), c -> new ArrayList<>());
            String settled = lastDecision.get(consumer.id());
            if (history.isEmpty() || !history.get(history.size() - 1).equals(settled)) {
                history.add(settled);
            }
        }
        section("Balances and decisions " + when);
        table.settle("", rows());
    }

    private String expectedDecision(DemoConsumer consumer) {
        long spent = DemoPlan.chargeMicros(ledger.expectedUnits(consumer.id()));
        if (consumer.prepaid()) {
            return grantedMicros.getOrDefault(consumer.id(), 0L) - spent <= 0 ? "402 insufficient_credits" : "200";
        }
        return Money.parseMicros(consumer.spendLimit()) - spent <= 0 ? "402 spend_limit_reached" : "200";
    }

    /**
     * Polls {@code pending} (the unmet parts of a condition, empty when met) until it is empty, redrawing the live
     * table on a terminal. Past the step deadline the demo fails, naming what was still pending.
     */
    private void awaitStep(String what, Supplier<List<String>> pending) {
        Instant deadline = clock.instant().plus(stepTimeout);
        List<String> last;
        while (true) {
            last = pending.get();
            table.refresh("  waiting for " + what + (last.isEmpty() ? "" : " (" + String.join(", ", last) + ")"),
                    rows());
            if (last.isEmpty()) {
                table.clear();
                return;
            }
            if (clock.instant().isAfter(deadline)) {
                throw new DemoFailure("gave up waiting for " + what + " after " + stepTimeout.toSeconds() + " s: "
                        + String.join("; ", last));
            }
            pause();
        }
    }

    private List<LiveTable.Row> rows() {
        List<LiveTable.Row> rows = new ArrayList<>();
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            JsonNode balance = api.balance(consumer.id()).body();
            JsonNode usage = balance.path("usage");
            rows.add(new LiveTable.Row(consumer.id(), consumer.billing(), usage.path(GatewayCall.REQUESTS).asLong(0),
                    usage.path(GatewayCall.INPUT_TOKENS).asLong(0), usage.path(GatewayCall.OUTPUT_TOKENS).asLong(0),
                    balance.path("spent").asText("-"), balance.path("remaining").asText("-"),
                    lastDecision.getOrDefault(consumer.id(), "-")));
        }
        return rows;
    }

    /** Asks billing-service like a gateway would; shows the first 402 problem body in full. */
    private String decide(String consumer) {
        TollgateApi.Reply reply = api.authorize(consumer);
        String decision = reply.status() == 200 ? "200" : (reply.status() + " " + reply.reason()).trim();
        lastDecision.put(consumer, decision);
        if (reply.status() == 402 && !problemShown) {
            problemShown = true;
            table.log("");
            table.log("  GET /v1/authorize  X-Consumer-Id: " + consumer + "  ->  402 Payment Required ("
                    + reply.contentType() + ")");
            for (String line : pretty(reply.body()).split("\n")) {
                table.log("    " + line);
            }
        }
        return decision;
    }

    private void financeSummary() {
        Instant now = clock.instant();
        YearMonth month = YearMonth.from(now.atZone(ZoneOffset.UTC));
        Instant from = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant to = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        String period = month.toString();

        section("Finance: usage " + period + " (GET /v1/usage?from=" + from + "&to=" + to + "&granularity=day)");
        Map<String, Map<String, long[]>> usage = new TreeMap<>();
        awaitStep("usage.hourly to reflect every call", () -> {
            usage.clear();
            usage.putAll(usageTotals(api.usage(from, to, "day").body()));
            List<String> pending = new ArrayList<>();
            for (DemoConsumer consumer : DemoConsumer.ALL) {
                Map<String, Long> expected = ledger.expectedUnits(consumer.id());
                for (String meter : METERS) {
                    long units = Optional.ofNullable(usage.getOrDefault(consumer.id(), Map.of()).get(meter)).map(u -> u[0]).orElse(0L);
                    if (units != expected.getOrDefault(meter, 0L)) {
                        pending.add(consumer.id() + " " + meter + " " + units + "/" + expected.getOrDefault(meter, 0L));
                    }
                }
            }
            return pending;
        });
        table.log(String.format(Locale.ROOT, "  %-9s %-14s %12s %12s", "consumer", "meter", "units", "amount"));
        usage.forEach((consumer, meters) -> meters.forEach((meter, totals) -> table.log(String.format(Locale.ROOT,
                "  %-9s %-14s %12s %12s", consumer, meter, LiveTable.grouped(totals[0]), Money.formatMicros(totals[1])))));

        section("Finance: invoices " + period + " (GET /v1/consumers/{id}/invoices/" + period + ")");
        table.log(String.format(Locale.ROOT, "  %-9s %-14s %12s %10s %12s %10s %9s %10s", "consumer", "meter", "units",
                "included", "billable", "unitPrice", "per", "amount"));
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            JsonNode invoice = api.invoice(consumer.id(), period).body();
            for (JsonNode line : invoice.path("lines")) {
                table.log(String.format(Locale.ROOT, "  %-9s %-14s %12s %10s %12s %10s %9s %10s", consumer.id(),
                        line.path("meter").asText(), LiveTable.grouped(line.path("units").asLong()),
                        LiveTable.grouped(line.path("included").asLong()), LiveTable.grouped(line.path("billable").asLong()),
                        line.path("unitPrice").asText(), LiveTable.grouped(line.path("per").asLong()),
                        line.path("amount").asText()));
            }
            String total = invoice.path("total").asText("?");
            table.log(String.format(Locale.ROOT, "  %-9s %-14s %78s", consumer.id(), "total " + invoice.path("currency").asText(""), total));
            long expectedTotal = DemoPlan.chargeMicros(ledger.expectedUnits(consumer.id()));
            if (!total.matches("\\d+(\\.\\d+)?") || Money.parseMicros(total) != expectedTotal) {
                failures.add(consumer.id() + ": invoice total " + total + ", expected " + Money.formatMicros(expectedTotal)
                        + " from the plan's prices on the units sent");
            }
            for (JsonNode line : invoice.path("lines")) {
                String meter = line.path("meter").asText();
                long expectedUnits = ledger.expectedUnits(consumer.id()).getOrDefault(meter, 0L);
                if (METERS.contains(meter) && line.path("units").asLong(-1) != expectedUnits) {
                    failures.add(consumer.id() + ": invoice line " + meter + " has " + line.path("units").asText()
                            + " units, expected " + expectedUnits);
                }
            }
        }
    }

    /** Sums {@code items} of GET /v1/usage per consumer and meter: {units, amount in micros}. */
    static Map<String, Map<String, long[]>> usageTotals(JsonNode body) {
        Map<String, Map<String, long[]>> totals = new TreeMap<>();
        for (JsonNode item : body.path("items")) {
            long[] sum = totals.computeIfAbsent(item.path("consumer").asText(), c -> new TreeMap<>())
                    .computeIfAbsent(item.path("meter").asText(), m -> new long[2]);
            sum[0] += item.path("units").asLong(0);
            String amount = item.path("amount").asText("0");
            sum[1] += amount.matches("\\d+(\\.\\d+)?") ? Money.parseMicros(amount) : 0;
        }
        return totals;
    }

    private void checkStory() {
        section("Checks");
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            SentLedger.Tally tally = ledger.tally(consumer.id());
            table.log(String.format(Locale.ROOT, "  %-9s %6s delivered - %4s duplicates - %3s answered by the gateway"
                            + " = %6s calls counted once; %s input and %s output tokens", consumer.id(),
                    LiveTable.grouped(tally.delivered()), LiveTable.grouped(tally.duplicates()),
                    LiveTable.grouped(tally.gatewayGenerated()), LiveTable.grouped(tally.units(GatewayCall.REQUESTS)),
                    LiveTable.grouped(tally.units(GatewayCall.INPUT_TOKENS)), LiveTable.grouped(tally.units(GatewayCall.OUTPUT_TOKENS))));
        }
        table.log(String.format(Locale.ROOT, "  %-9s %6s delivered - %4s duplicates - %3s answered by the gateway"
                        + " = %6s calls counted once", "all", LiveTable.grouped(ledger.delivered()),
                LiveTable.grouped(ledger.duplicates()), LiveTable.grouped(ledger.gatewayGenerated()),
                LiveTable.grouped(ledger.billableCalls())));
        List<String> initech = decisionHistory.getOrDefault(DemoConsumer.INITECH.id(), List.of());
        table.log("  decisions of initech, in order: " + String.join(" -> ", initech));
        if (!initech.equals(List.of("200", "402 insufficient_credits", "200"))) {
            failures.add("initech should go 200 -> 402 insufficient_credits -> 200, went " + String.join(" -> ", initech));
        }
        for (DemoConsumer consumer : DemoConsumer.ALL) {
            if (consumer != DemoConsumer.INITECH && !decisionHistory.getOrDefault(consumer.id(), List.of()).equals(List.of("200"))) {
                failures.add(consumer.id() + " should be allowed throughout, went "
                        + String.join(" -> ", decisionHistory.getOrDefault(consumer.id(), List.of())));
            }
        }
    }

    private void section(String title) {
        table.log("");
        table.log("== " + title);
    }

    private String pretty(JsonNode node) {
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (java.io.IOException e) {
            return node.toString();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_INTERVAL.toMillis()); // the interval between two checks of a condition that has a deadline
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoFailure("interrupted while waiting");
        }
    }
}
