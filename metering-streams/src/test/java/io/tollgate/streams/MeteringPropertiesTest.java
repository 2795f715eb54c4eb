package io.tollgate.streams;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.schemas.money.Periods;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random event streams with random duplicates and random arrival order (all within the dedup window), across a
 * month boundary: hourly totals equal the sums over unique events, hours add up to the period charge, and every
 * balance equals credits minus charges computed here independently with BigDecimal from the period totals.
 */
class MeteringPropertiesTest {
    private static final Instant START = Instant.parse("2026-11-30T14:00:00Z");
    private static final List<String> CONSUMERS = List.of("acme", "globex");
    private static final List<String> METERS = List.of("requests", "input_tokens", "unpriced");

    record Call(String consumer, String source, String id, long time, Map<String, Long> meters) {
    }

    record Scenario(Map<String, MeterPrice> prices, List<Call> unique, List<Call> arrivals, long granted) {
    }

    @Property(tries = 25)
    void balancesAndHoursAreExact(@ForAll("scenarios") Scenario scenario) {
        try (MeteringDriver app = new MeteringDriver()) {
            app.definePlan("p", "month", scenario.prices(), START);
            for (String consumer : CONSUMERS) {
                app.updateConsumer(consumer, "p", "prepaid", null, START);
                app.grant(consumer, scenario.granted(), "once", START);
                app.grant(consumer, scenario.granted(), "once", START);
            }
            for (Call call : scenario.arrivals()) {
                app.call(call.consumer(), call.source(), call.id(), Instant.ofEpochMilli(call.time()), call.meters());
            }
            app.flush();

            Map<String, Balance> balances = app.latestBalances();
            Map<String, UsageAggregate> hours = app.latestHours();
            assertThat(app.deadLetters.isEmpty()).isTrue();

            Map<String, Long> expectedUnits = new TreeMap<>();
            Map<String, Long> expectedEvents = new TreeMap<>();
            Map<String, Map<String, Map<String, Long>>> periodTotals = new HashMap<>();
            for (Call call : scenario.unique()) {
                for (Map.Entry<String, Long> meter : call.meters().entrySet()) {
                    String hourKey = call.consumer() + "/" + meter.getKey() + "/" + Instant.ofEpochMilli(Periods.hourStart(call.time()));
                    expectedUnits.merge(hourKey, meter.getValue(), Long::sum);
                    expectedEvents.merge(hourKey, 1L, Long::sum);
                    periodTotals.computeIfAbsent(call.consumer(), c -> new TreeMap<>())
                            .computeIfAbsent(Periods.periodOf("month", call.time()), p -> new TreeMap<>())
                            .merge(meter.getKey(), meter.getValue(), Long::sum);
                }
            }
            Map<String, Long> actualUnits = new TreeMap<>();
            Map<String, Long> actualEvents = new TreeMap<>();
            Map<String, Long> hourAmountsByPeriod = new TreeMap<>();
            hours.forEach((key, aggregate) -> {
                actualUnits.put(key, aggregate.getUnits());
                actualEvents.put(key, aggregate.getEvents());
                hourAmountsByPeriod.merge(aggregate.getConsumer() + "/" + Periods.periodOf("month", aggregate.getHourStart().toEpochMilli())
                        + "/" + aggregate.getMeter(), aggregate.getAmountMicros(), Long::sum);
            });
            assertThat(actualUnits).isEqualTo(expectedUnits);
            assertThat(actualEvents).isEqualTo(expectedEvents);

            for (String consumer : CONSUMERS) {
                Balance balance = balances.get(consumer);
                Map<String, Map<String, Long>> periods = periodTotals.getOrDefault(consumer, Map.of());
                String current = periods.isEmpty() ? "2026-11" : Collections.max(periods.keySet());
                long closedCharges = 0;
                long currentCharges = 0;
                for (Map.Entry<String, Map<String, Long>> period : periods.entrySet()) {
                    for (Map.Entry<String, Long> meter : period.getValue().entrySet()) {
                        long charge = independentCharge(scenario.prices().get(meter.getKey()), meter.getValue());
                        assertThat(hourAmountsByPeriod.get(consumer + "/" + period.getKey() + "/" + meter.getKey()))
                                .as("hours of %s %s %s add up to the period charge", consumer, period.getKey(), meter.getKey())
                                .isEqualTo(charge);
                        if (period.getKey().equals(current)) {
                            currentCharges += charge;
                        } else {
                            closedCharges += charge;
                        }
                    }
                }
                assertThat(balance.getPeriod()).isEqualTo(current);
                assertThat(balance.getUsage()).isEqualTo(periods.getOrDefault(current, Map.of()));
                assertThat(balance.getSpentMicros()).isEqualTo(currentCharges);
                assertThat(balance.getCreditsMicros()).isEqualTo(scenario.granted() - closedCharges);
                assertThat(balance.getRemainingMicros()).isEqualTo(scenario.granted() - closedCharges - currentCharges);
                assertThat(balance.getEventsCounted()).as("unique events of %s, whatever their order or period", consumer)
                        .isEqualTo(scenario.unique().stream().filter(call -> call.consumer().equals(consumer)).count());
            }
        }
    }

    private static long independentCharge(MeterPrice price, long units) {
        if (price == null) {
            return 0;
        }
        BigDecimal billable = BigDecimal.valueOf(Math.max(0, units - price.getIncluded()));
        BigDecimal currencyUnits = billable.multiply(BigDecimal.valueOf(price.getUnitPriceNanos()).movePointLeft(9))
                .divide(BigDecimal.valueOf(price.getPer()), 30, RoundingMode.HALF_UP);
        return currencyUnits.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<MeterPrice> price = Combinators.combine(
                Arbitraries.longs().between(0, 5_000_000_000L),
                Arbitraries.of(1L, 3L, 1000L, 1_000_000L),
                Arbitraries.longs().between(0, 3000)).as((nanos, per, included) -> new MeterPrice(nanos, per, included, null));
        Arbitrary<Map<String, MeterPrice>> prices = Combinators.combine(price, price)
                .as((requests, tokens) -> Map.of("requests", requests, "input_tokens", tokens));
        Arbitrary<Call> call = Combinators.combine(
                Arbitraries.of(CONSUMERS),
                Arbitraries.of("gw-1", "gw-2"),
                Arbitraries.integers().between(0, 400),
                Arbitraries.longs().between(0, 20L * 3600 * 1000),
                Arbitraries.maps(Arbitraries.of(METERS), Arbitraries.longs().between(0, 2_000_000)).ofMinSize(1).ofMaxSize(3))
                .as((consumer, source, id, offset, meters) ->
                        new Call(consumer, source, "id-" + id, START.toEpochMilli() + offset, meters));
        return Combinators.combine(prices, call.list().ofMinSize(1).ofMaxSize(150), Arbitraries.longs().between(0, 1_000_000_000L),
                        Arbitraries.longs())
                .as((p, calls, granted, seed) -> scenario(p, calls, granted, new Random(seed)));
    }

    /** The first call per (source, id) is the event; arrivals replay some of them again and shuffle everything. */
    private static Scenario scenario(Map<String, MeterPrice> prices, List<Call> calls, long granted, Random random) {
        Map<String, Call> unique = new LinkedHashMap<>();
        for (Call call : calls) {
            unique.putIfAbsent(call.source() + "/" + call.id(), call);
        }
        List<Call> arrivals = new ArrayList<>(unique.values());
        for (Call call : unique.values()) {
            if (random.nextInt(4) == 0) {
                arrivals.add(call);
            }
        }
        Collections.shuffle(arrivals, random);
        return new Scenario(prices, new ArrayList<>(unique.values()), arrivals, granted);
    }

}
