package io.tollgate.billing.finance;

import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.schemas.money.Money;
import io.tollgate.schemas.money.Periods;

import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One consumer's invoice for one billing period: a line per meter, priced from the period's total units
 * with the consumer's plan, and a total that is exactly the sum of the lines. Each line is rounded once, by
 * {@link Money#charge}: billable x unitPrice / per, half-up to a whole micro-unit. A meter the plan does
 * not price is listed with its units and a zero amount.
 */
public record Invoice(String consumer, String period, String plan, String currency, List<Line> lines, long totalMicros) {

    public record Line(String meter, long units, long included, long billable, long unitPriceNanos, long per, long amountMicros) {
    }

    /** A billing period: "2026-11" (UTC month) or "2026-11-21" (UTC day), as [fromMillis, toMillis). */
    public record Period(String name, String kind, long fromMillis, long toMillis) {
        public static Period parse(String text) {
            try {
                if (text.length() == 7) {
                    YearMonth month = YearMonth.parse(text);
                    return new Period(text, Periods.MONTH, month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli(),
                            month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli());
                }
                if (text.length() == 10) {
                    LocalDate day = LocalDate.parse(text);
                    return new Period(text, Periods.DAY, day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli(),
                            day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli());
                }
            } catch (DateTimeParseException e) {
                // falls through to the same message as any other bad text
            }
            throw new IllegalArgumentException("must be a month (2026-11) or a day (2026-11-21), not " + text);
        }
    }

    public static Invoice compute(String consumer, Period period, PlanDefined plan, Map<String, Long> unitsByMeter) {
        if (!plan.getPeriod().equals(period.kind())) {
            throw new IllegalArgumentException("plan " + plan.getPlan() + " bills by " + plan.getPeriod()
                    + ", so its periods look like " + (Periods.MONTH.equals(plan.getPeriod()) ? "2026-11" : "2026-11-21")
                    + ", not " + period.name());
        }
        TreeSet<String> meters = new TreeSet<>(plan.getMeters().keySet());
        meters.addAll(unitsByMeter.keySet());
        List<Line> lines = new ArrayList<>();
        long total = 0;
        for (String meter : meters) {
            long units = unitsByMeter.getOrDefault(meter, 0L);
            MeterPrice price = plan.getMeters().get(meter);
            Line line;
            if (price == null) {
                line = new Line(meter, units, 0, units, 0, 1, 0);
            } else {
                long billable = Money.billable(units, price.getIncluded());
                line = new Line(meter, units, price.getIncluded(), billable, price.getUnitPriceNanos(), price.getPer(),
                        Money.charge(billable, price.getUnitPriceNanos(), price.getPer()));
            }
            lines.add(line);
            total = Math.addExact(total, line.amountMicros());
        }
        return new Invoice(consumer, period.name(), plan.getPlan(), plan.getCurrency(), List.copyOf(lines), total);
    }
}
