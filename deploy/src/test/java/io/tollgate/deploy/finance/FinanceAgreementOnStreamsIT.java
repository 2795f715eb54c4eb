package io.tollgate.deploy.finance;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.UsageEvent;
import io.tollgate.deploy.pipeline.BillingAdmin;
import io.tollgate.deploy.pipeline.PlanMeter;
import io.tollgate.deploy.pipeline.StreamsPipeline;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The finance claim on real metering-streams output: plans and consumers through billing-service's admin API, a few
 * hundred usage events on usage.events (duplicates delivered hours later, some events out of order) across a month
 * boundary, counted and rated by a real metering-streams into usage.hourly. Then {@code GET /v1/usage} (JSON and CSV,
 * by hour, day and month) and the invoices equal a computation made here in {@link BigDecimal} from the events and the
 * plans alone, to the micro-unit: included units, prices per N units, an unpriced meter, half-up rounding once per
 * period total. ({@code FinanceAgreementIT} in billing-service checks the same against usage.hourly written by the test.)
 */
@Tag("integration")
@Timeout(value = 8, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class FinanceAgreementOnStreamsIT {
    private static final Logger log = LoggerFactory.getLogger(FinanceAgreementOnStreamsIT.class);

    static final Map<String, Map<String, PlanMeter>> PLANS = Map.of(
            "pro", Map.of("requests", new PlanMeter("0.002", 1, 25), "input_tokens", new PlanMeter("0.50", 1_000_000, 0),
                    "output_tokens", new PlanMeter("1.50", 1_000_000, 0)),
            "tokens", Map.of("input_tokens", new PlanMeter("0.0000025", 1, 20_000), "output_tokens", new PlanMeter("0.33", 1000, 0)));
    static final Map<String, String> PLAN_OF = planOf();
    static final int DISTINCT_CALLS = 400;

    private static Map<String, String> planOf() {
        Map<String, String> plans = new LinkedHashMap<>();
        plans.put("acme", "pro");
        plans.put("globex", "pro");
        plans.put("initech", "tokens");
        plans.put("umbrella", "pro");
        plans.put("hooli", "tokens");
        plans.put("stark", "pro");
        return plans;
    }

    record Call(String source, String id, String consumer, long time, Map<String, Long> meters) {
    }

    /** One bucket of {@code GET /v1/usage}: consumer, meter and start; units and amount at six decimals. */
    record Bucket(String consumer, String meter, String start) implements Comparable<Bucket> {
        @Override
        public int compareTo(Bucket o) {
            return Comparator.comparing(Bucket::consumer).thenComparing(Bucket::meter).thenComparing(Bucket::start).compare(this, o);
        }
    }

    @Test
    void usageApiByHourDayAndMonthAsJsonAndCsvAndTheInvoicesEqualAnIndependentComputationFromTheEvents(KafkaStack stack) throws Exception {
        Instant boundary = aMonthBoundaryInThePast(Instant.now());
        Instant from = boundary.minus(2, ChronoUnit.DAYS);
        Instant to = boundary.plus(2, ChronoUnit.DAYS);
        List<Call> delivered = deliveries(new Random(20261204L), from, to);
        long duplicates = delivered.size() - DISTINCT_CALLS;
        Expected expected = Expected.of(delivered);

        try (StreamsPipeline pipeline = StreamsPipeline.start(stack, "finance-agreement")) {
            BillingAdmin admin = pipeline.admin();
            PLANS.forEach((plan, meters) -> admin.putPlan(plan, "month", meters));
            PLAN_OF.forEach((consumer, plan) -> admin.putPrepaidConsumer(consumer, plan));
            // Every consumer's account reached metering-streams before its first call, as in production.
            await("a balance for every consumer").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> PLAN_OF.keySet().stream().allMatch(c -> admin.balance(c).isPresent()));

            pipeline.send(delivered.stream().map(FinanceAgreementOnStreamsIT::usageEvent).toList());
            pipeline.awaitStreamsCaughtUp(Duration.ofMinutes(2));
            log.info("{} deliveries ({} distinct calls, {} duplicates) from {} to {} counted by metering-streams", delivered.size(),
                    DISTINCT_CALLS, duplicates, from, to);

            String range = "&from=" + from + "&to=" + to;
            // Hourly totals are published every second after they change: wait for them, then everything must agree.
            await("GET /v1/usage by hour equals the computation from the events").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                            assertThat(jsonPages(admin, "/v1/usage?granularity=hour&limit=10000" + range)).isEqualTo(expected.byHour()));

            assertThat(jsonPages(admin, "/v1/usage?granularity=day&limit=7" + range)).as("by day, 7 items a page").isEqualTo(expected.byDay());
            assertThat(jsonPages(admin, "/v1/usage?granularity=month" + range)).as("by month").isEqualTo(expected.byMonth());
            assertThat(csv(admin, "/v1/usage?granularity=hour&limit=10000" + range)).as("CSV by hour").isEqualTo(expected.byHour());
            assertThat(csv(admin, "/v1/usage?granularity=day&limit=10000" + range)).as("CSV by day").isEqualTo(expected.byDay());
            for (String consumer : PLAN_OF.keySet()) {
                assertThat(jsonPages(admin, "/v1/usage?granularity=month&consumer=" + consumer + range)).as("%s by month", consumer)
                        .isEqualTo(only(expected.byMonth(), consumer));
            }

            BigDecimal grandTotal = BigDecimal.ZERO;
            for (String consumer : PLAN_OF.keySet()) {
                for (String period : List.of(month(from), month(boundary))) {
                    JsonNode invoice = admin.getJson("/v1/consumers/" + consumer + "/invoices/" + period);
                    Map<String, String> lines = new TreeMap<>();
                    for (JsonNode line : invoice.get("lines")) {
                        lines.put(line.get("meter").asText(), line.get("units").asLong() + " units, " + line.get("billable").asLong()
                                + " billable, " + decimal(line.get("amount").asText()));
                    }
                    assertThat(lines).as("invoice %s %s", consumer, period).isEqualTo(expected.invoiceLines(consumer, period));
                    BigDecimal total = expected.invoiceTotal(consumer, period);
                    assertThat(decimal(invoice.get("total").asText())).as("invoice %s %s total", consumer, period).isEqualTo(decimal(total));
                    grandTotal = grandTotal.add(total);
                }
            }
            assertThat(grandTotal).as("the plans charge something").isPositive();
            assertThat(duplicates).as("duplicates delivered").isGreaterThanOrEqualTo(40);
            assertThat(expected.byHour().values()).as("some hours cost nothing: included units").anyMatch(v -> v.endsWith(" 0.000000"));
            pipeline.requireAlive();
            log.info("usage API (hour, day, month; JSON and CSV) and {} invoices agree with the computation from the events; total {}",
                    PLAN_OF.size() * 2, grandTotal);
            pipeline.passed();
        }
    }

    /** The start of a UTC month at least three days ago (so every event below is in the past), at most about 34. */
    static Instant aMonthBoundaryInThePast(Instant now) {
        YearMonth month = YearMonth.from(now.atZone(ZoneOffset.UTC));
        Instant start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return start.isAfter(now.minus(3, ChronoUnit.DAYS)) ? month.minusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant() : start;
    }

    /**
     * {@value #DISTINCT_CALLS} calls at random times in [from, to), delivered in the order a gateway's log shipping
     * would: mostly in time order, 5 % up to 3 hours late, and 15 % delivered a second time 1 to 6 hours later (a
     * retry, or a second path). Nothing is later than metering-streams' 24 h dedup window.
     */
    static List<Call> deliveries(Random random, Instant from, Instant to) {
        List<String> consumers = List.copyOf(PLAN_OF.keySet());
        record Delivery(long at, int order, Call call) {
        }
        List<Delivery> deliveries = new ArrayList<>();
        long span = to.toEpochMilli() - from.toEpochMilli();
        for (int i = 0; i < DISTINCT_CALLS; i++) {
            Map<String, Long> meters = new TreeMap<>();
            meters.put("requests", 1L);
            if (random.nextInt(3) > 0) {
                meters.put("input_tokens", 1L + random.nextInt(90_000));
                meters.put("output_tokens", 1L + random.nextInt(7_000));
            }
            long time = from.toEpochMilli() + (long) (random.nextDouble() * span);
            Call call = new Call("gw-" + random.nextInt(3), "call-" + i, consumers.get(random.nextInt(consumers.size())), time, meters);
            long hour = Duration.ofHours(1).toMillis();
            deliveries.add(new Delivery(random.nextInt(100) < 5 ? time + (long) (random.nextDouble() * 3 * hour) : time, i, call));
            if (random.nextInt(100) < 15) {
                deliveries.add(new Delivery(time + hour + (long) (random.nextDouble() * 5 * hour), DISTINCT_CALLS + i, call));
            }
        }
        deliveries.sort(Comparator.comparingLong(Delivery::at).thenComparingInt(Delivery::order));
        return deliveries.stream().map(Delivery::call).toList();
    }

    static UsageEvent usageEvent(Call call) {
        return UsageEvent.newBuilder().setId(call.id()).setSource(call.source()).setConsumer(call.consumer()).setGateway("canonical")
                .setEventTime(Instant.ofEpochMilli(call.time())).setIngestTime(Instant.ofEpochMilli(call.time()))
                .setMeters(new HashMap<>(call.meters())).build();
    }

    /**
     * What finance must show, from the deliveries and {@link #PLANS} only. Deliveries are counted in their order, each
     * (source, id) once. An hour's amount is the sum of the increases of its period's charge that its events caused when
     * they were counted (charge(total after) − charge(total before)), so the hours of a period add up to the period's
     * charge however late an event came.
     */
    record Expected(Map<Bucket, long[]> hourUnits, Map<Bucket, BigDecimal> hourAmounts, Map<String, Map<String, Map<String, Long>>> periodUnits) {
        static Expected of(List<Call> deliveries) {
            Map<Bucket, long[]> units = new TreeMap<>();
            Map<Bucket, BigDecimal> amounts = new TreeMap<>();
            Map<String, Map<String, Map<String, Long>>> periods = new TreeMap<>();
            Set<String> seen = new HashSet<>();
            for (Call call : deliveries) {
                if (!seen.add(call.source() + "/" + call.id())) {
                    continue;
                }
                String period = month(Instant.ofEpochMilli(call.time()));
                String hour = Instant.ofEpochMilli(call.time()).truncatedTo(ChronoUnit.HOURS).toString();
                for (Map.Entry<String, Long> meter : call.meters().entrySet()) {
                    Map<String, Long> totals = periods.computeIfAbsent(call.consumer(), c -> new TreeMap<>()).computeIfAbsent(period, p -> new TreeMap<>());
                    long before = totals.getOrDefault(meter.getKey(), 0L);
                    long after = before + meter.getValue();
                    totals.put(meter.getKey(), after);
                    PlanMeter price = PLANS.get(PLAN_OF.get(call.consumer())).get(meter.getKey());
                    BigDecimal increase = price == null ? BigDecimal.ZERO : price.charge(after).subtract(price.charge(before));
                    Bucket bucket = new Bucket(call.consumer(), meter.getKey(), hour);
                    units.computeIfAbsent(bucket, b -> new long[1])[0] += meter.getValue();
                    amounts.merge(bucket, increase, BigDecimal::add);
                }
            }
            return new Expected(units, amounts, periods);
        }

        Map<Bucket, String> byHour() {
            return rollUp(Function.identity());
        }

        Map<Bucket, String> byDay() {
            return rollUp(start -> Instant.parse(start).truncatedTo(ChronoUnit.DAYS).toString());
        }

        Map<Bucket, String> byMonth() {
            return rollUp(start -> YearMonth.from(Instant.parse(start).atZone(ZoneOffset.UTC)).atDay(1).atStartOfDay(ZoneOffset.UTC)
                    .toInstant().toString());
        }

        private Map<Bucket, String> rollUp(Function<String, String> bucketStart) {
            Map<Bucket, long[]> units = new TreeMap<>();
            Map<Bucket, BigDecimal> amounts = new TreeMap<>();
            hourUnits.forEach((hour, n) -> {
                Bucket bucket = new Bucket(hour.consumer(), hour.meter(), bucketStart.apply(hour.start()));
                units.computeIfAbsent(bucket, b -> new long[1])[0] += n[0];
                amounts.merge(bucket, hourAmounts.get(hour), BigDecimal::add);
            });
            Map<Bucket, String> out = new TreeMap<>();
            units.forEach((bucket, n) -> out.put(bucket, n[0] + " " + decimal(amounts.get(bucket))));
            return out;
        }

        /** Per meter the plan prices, and per metered meter it does not: units, billable units, amount. */
        Map<String, String> invoiceLines(String consumer, String period) {
            Map<String, Long> totals = periodUnits.getOrDefault(consumer, Map.of()).getOrDefault(period, Map.of());
            Map<String, PlanMeter> prices = PLANS.get(PLAN_OF.get(consumer));
            Set<String> meters = new TreeSet<>(prices.keySet());
            meters.addAll(totals.keySet());
            Map<String, String> lines = new TreeMap<>();
            for (String meter : meters) {
                long units = totals.getOrDefault(meter, 0L);
                PlanMeter price = prices.get(meter);
                long billable = price == null ? units : Math.max(0, units - price.included());
                lines.put(meter, units + " units, " + billable + " billable, " + decimal(price == null ? BigDecimal.ZERO : price.charge(units)));
            }
            return lines;
        }

        BigDecimal invoiceTotal(String consumer, String period) {
            Map<String, Long> totals = periodUnits.getOrDefault(consumer, Map.of()).getOrDefault(period, Map.of());
            Map<String, PlanMeter> prices = PLANS.get(PLAN_OF.get(consumer));
            BigDecimal total = BigDecimal.ZERO;
            for (Map.Entry<String, PlanMeter> price : prices.entrySet()) {
                total = total.add(price.getValue().charge(totals.getOrDefault(price.getKey(), 0L)));
            }
            return total;
        }
    }

    /** Every item of every page (following {@code next}), as bucket → "units amount". */
    static Map<Bucket, String> jsonPages(BillingAdmin admin, String query) {
        Map<Bucket, String> items = new TreeMap<>();
        String cursor = null;
        do {
            JsonNode page = admin.getJson(query + (cursor == null ? "" : "&cursor=" + cursor));
            for (JsonNode item : page.get("items")) {
                String previous = items.put(new Bucket(item.get("consumer").asText(), item.get("meter").asText(), item.get("start").asText()),
                        item.get("units").asLong() + " " + decimal(item.get("amount").asText()));
                assertThat(previous).as("an item twice: %s", item).isNull();
            }
            cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
        } while (cursor != null);
        return items;
    }

    /** One CSV page (the query's limit holds every item: no {@code Link} to a next page), as bucket → "units amount". */
    static Map<Bucket, String> csv(BillingAdmin admin, String query) {
        HttpResponse<String> response = admin.get(query, "text/csv");
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/csv"));
        assertThat(response.headers().firstValue("Link")).as("one page").isEmpty();
        String[] lines = response.body().split("\n");
        assertThat(lines[0]).isEqualTo("consumer,meter,start,units,amount");
        Map<Bucket, String> items = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] cells = lines[i].split(",", -1);
            assertThat(cells).as("line %d: %s", i, lines[i]).hasSize(5);
            items.put(new Bucket(cells[0], cells[1], cells[2]), Long.parseLong(cells[3]) + " " + decimal(cells[4]));
        }
        return items;
    }

    static Map<Bucket, String> only(Map<Bucket, String> items, String consumer) {
        Map<Bucket, String> out = new TreeMap<>();
        items.forEach((bucket, value) -> {
            if (bucket.consumer().equals(consumer)) {
                out.put(bucket, value);
            }
        });
        return out;
    }

    static String month(Instant time) {
        return YearMonth.from(time.atZone(ZoneOffset.UTC)).toString();
    }

    /** A money amount at six decimals, so that "1.2" and "1.200000" compare equal; a seventh decimal throws. */
    static String decimal(String text) {
        return decimal(new BigDecimal(text));
    }

    static String decimal(BigDecimal amount) {
        return amount.setScale(6).toPlainString();
    }
}
