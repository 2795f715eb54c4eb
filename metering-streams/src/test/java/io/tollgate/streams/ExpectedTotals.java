package io.tollgate.streams;

import io.tollgate.avro.MeterPrice;
import io.tollgate.schemas.money.Periods;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** What balances and hourly totals must be, computed independently (BigDecimal) from unique events, month plans, prepaid. */
final class ExpectedTotals {
    record Expected(String period, Map<String, Long> usage, long spentMicros, long creditsMicros) {
    }

    private final Map<String, MeterPrice> prices;
    private final Map<String, Map<String, Map<String, Long>>> periodTotals = new HashMap<>();
    final Map<String, Long> hourUnits = new TreeMap<>();
    final Map<String, Long> hourEvents = new TreeMap<>();

    ExpectedTotals(Map<String, MeterPrice> prices) {
        this.prices = prices;
    }

    static String hourKey(String consumer, String meter, Instant hourStart) {
        return consumer + "/" + meter + "/" + hourStart;
    }

    void add(String consumer, long eventTime, Map<String, Long> meters) {
        for (Map.Entry<String, Long> meter : meters.entrySet()) {
            String key = hourKey(consumer, meter.getKey(), Instant.ofEpochMilli(Periods.hourStart(eventTime)));
            hourUnits.merge(key, meter.getValue(), Long::sum);
            hourEvents.merge(key, 1L, Long::sum);
            periodTotals.computeIfAbsent(consumer, c -> new TreeMap<>())
                    .computeIfAbsent(Periods.periodOf(Periods.MONTH, eventTime), p -> new TreeMap<>())
                    .merge(meter.getKey(), meter.getValue(), Long::sum);
        }
    }

    Expected balance(String consumer, long grantedMicros) {
        Map<String, Map<String, Long>> periods = periodTotals.getOrDefault(consumer, Map.of());
        String current = Collections.max(periods.keySet());
        long closed = 0;
        long spent = 0;
        for (Map.Entry<String, Map<String, Long>> period : periods.entrySet()) {
            for (Map.Entry<String, Long> meter : period.getValue().entrySet()) {
                long charge = charge(prices.get(meter.getKey()), meter.getValue());
                if (period.getKey().equals(current)) {
                    spent += charge;
                } else {
                    closed += charge;
                }
            }
        }
        return new Expected(current, periods.get(current), spent, grantedMicros - closed);
    }

    static long charge(MeterPrice price, long units) {
        if (price == null) {
            return 0;
        }
        BigDecimal billable = BigDecimal.valueOf(Math.max(0, units - price.getIncluded()));
        BigDecimal currencyUnits = billable.multiply(BigDecimal.valueOf(price.getUnitPriceNanos()).movePointLeft(9))
                .divide(BigDecimal.valueOf(price.getPer()), 30, RoundingMode.HALF_UP);
        return currencyUnits.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }
}
