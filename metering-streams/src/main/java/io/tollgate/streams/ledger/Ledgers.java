package io.tollgate.streams.ledger;

import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.schemas.money.Periods;
import io.tollgate.streams.state.ConsumerLedger;
import io.tollgate.streams.state.HourTotals;
import io.tollgate.streams.state.PeriodUsage;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The rating rules, on one consumer's {@link ConsumerLedger}; no Kafka here.
 *
 * <p>Invariants kept by every operation:
 * <ul>
 *   <li>For every open period and meter, {@code amounts[meter] = Rating.periodCharge(plan in force, meter, units[meter])}:
 *       a period's charge is always recomputed from the period total, never summed from per-event amounts.</li>
 *   <li>{@code chargedMicros} is the sum of every {@link HourCharge#amountMicros()} returned while the consumer was
 *       prepaid: what its credits paid for. Charges booked while it is postpaid are invoiced, not taken from credits,
 *       so a postpaid consumer's credits never go down (nor negative); they become usable if it switches to prepaid.
 *       (The hours of a period still add up to the period's charge exactly: {@link HourCharge}s are returned either way.)</li>
 *   <li>A plan change (another plan, or new prices or period kind of the same plan) re-rates every open period
 *       from its hourly totals with the new plan; the hours' amounts are re-attributed in hour order.</li>
 * </ul>
 * A period is open while events may still arrive for it: until stream time passes its end plus the dedup window.
 */
public final class Ledgers {
    public static final String STATUS_UNKNOWN = "unknown";
    public static final String PREPAID = "prepaid";
    public static final String POSTPAID = "postpaid";
    /** ISO 4217 "no currency": the currency of a consumer whose plan is not known yet. */
    public static final String NO_CURRENCY = "XXX";

    private Ledgers() {
    }

    public static ConsumerLedger newLedger(String consumer, long now) {
        return ConsumerLedger.newBuilder()
                .setConsumer(consumer)
                .setPlan(null)
                .setStatus(STATUS_UNKNOWN)
                .setBilling(PREPAID)
                .setSpendLimitMicros(null)
                .setGrantedMicros(0)
                .setChargedMicros(0)
                .setPeriodKind(Periods.MONTH)
                .setCurrentPeriod(null)
                .setPeriods(new HashMap<>())
                .setKnownMeters(new ArrayList<>())
                .setVersion(0)
                .setLastEventTime(null)
                .setUpdatedAt(now)
                .build();
    }

    /** The period kind the plan bills in; without a plan, usage is counted in calendar months. */
    public static String periodKind(PlanDefined plan, ConsumerLedger ledger) {
        return plan != null && Periods.isValidKind(plan.getPeriod()) ? plan.getPeriod() : ledger.getPeriodKind();
    }

    /**
     * Counts one (already deduplicated) event, adding one to the ledger's lifetime {@code eventsCounted}, and returns
     * what it adds to each meter's hour.
     */
    public static List<HourCharge> applyUsage(ConsumerLedger ledger, PlanDefined plan, long eventTime, Map<String, Long> meters) {
        String kind = ledger.getPeriodKind();
        String label = Periods.periodOf(kind, eventTime);
        PeriodUsage period = ledger.getPeriods().computeIfAbsent(label, l -> emptyPeriod(Periods.startOf(kind, eventTime)));
        long hour = Periods.hourStart(eventTime);
        List<HourCharge> charges = new ArrayList<>(meters.size());
        for (Map.Entry<String, Long> meter : meters.entrySet()) {
            String name = meter.getKey();
            long units = meter.getValue();
            long total = Math.addExact(period.getUnits().getOrDefault(name, 0L), units);
            long amount = Rating.periodCharge(plan, name, total);
            long increase = amount - period.getAmounts().getOrDefault(name, 0L);
            period.getUnits().put(name, total);
            period.getAmounts().put(name, amount);
            period.getLastHour().merge(name, hour, Math::max);
            bookAgainstCredits(ledger, increase);
            if (!ledger.getKnownMeters().contains(name)) {
                ledger.getKnownMeters().add(name);
            }
            charges.add(new HourCharge(name, hour, units, 1, increase));
        }
        if (ledger.getCurrentPeriod() == null || label.compareTo(ledger.getCurrentPeriod()) > 0) {
            ledger.setCurrentPeriod(label);
        }
        ledger.setEventsCounted(Math.addExact(ledger.getEventsCounted(), 1));
        return charges;
    }

    /**
     * Re-rates every open period with {@code plan} (which may be null: no charges) from the hourly totals,
     * attributing each period's charge to its hours in hour order. Returns the amount changes per hour.
     *
     * @param streamTime the latest usage event time of the task, or {@code null} when it has seen none
     * @param changeTime event time of the account event that caused the re-rating
     */
    public static List<HourCharge> rerate(ConsumerLedger ledger, PlanDefined plan, Long streamTime, long dedupWindowMs,
                                          long changeTime, HourlyReader hourly) {
        String kind = periodKind(plan, ledger);
        Map<String, PeriodUsage> rebuilt = new HashMap<>();
        List<HourCharge> changes = new ArrayList<>();
        if (streamTime != null && !ledger.getKnownMeters().isEmpty()) {
            long horizon = Periods.startOf(kind, streamTime - dedupWindowMs);
            for (String meter : ledger.getKnownMeters()) {
                for (Map.Entry<Long, HourTotals> hour : hourly.hours(meter, horizon, Periods.hourStart(streamTime)).entrySet()) {
                    long hourStart = hour.getKey();
                    HourTotals totals = hour.getValue();
                    PeriodUsage period = rebuilt.computeIfAbsent(Periods.periodOf(kind, hourStart),
                            l -> emptyPeriod(Periods.startOf(kind, hourStart)));
                    long before = period.getUnits().getOrDefault(meter, 0L);
                    long after = Math.addExact(before, totals.getUnits());
                    long amountBefore = Rating.periodCharge(plan, meter, before);
                    long amountAfter = Rating.periodCharge(plan, meter, after);
                    long change = (amountAfter - amountBefore) - totals.getAmountMicros();
                    period.getUnits().put(meter, after);
                    period.getAmounts().put(meter, amountAfter);
                    period.getLastHour().put(meter, hourStart);
                    if (change != 0) {
                        bookAgainstCredits(ledger, change);
                        changes.add(new HourCharge(meter, hourStart, 0, 0, change));
                    }
                }
            }
        }
        ledger.setPeriodKind(kind);
        ledger.setPeriods(rebuilt);
        String current = Periods.periodOf(kind, changeTime);
        for (String label : rebuilt.keySet()) {
            if (label.compareTo(current) > 0) {
                current = label;
            }
        }
        ledger.setCurrentPeriod(current);
        return changes;
    }

    /** A charge (or a re-rating's correction) is paid from credits only while the consumer is prepaid. */
    private static void bookAgainstCredits(ConsumerLedger ledger, long amountMicros) {
        if (!POSTPAID.equals(ledger.getBilling())) {
            ledger.setChargedMicros(Math.addExact(ledger.getChargedMicros(), amountMicros));
        }
    }

    /** Drops periods that can no longer receive events (end + window before stream time), except the current one. */
    public static void closePeriods(ConsumerLedger ledger, long streamTime, long dedupWindowMs) {
        Iterator<Map.Entry<String, PeriodUsage>> it = ledger.getPeriods().entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, PeriodUsage> period = it.next();
            if (!period.getKey().equals(ledger.getCurrentPeriod())
                    && periodEnd(ledger.getPeriodKind(), period.getValue().getStart()) + dedupWindowMs <= streamTime) {
                it.remove();
            }
        }
    }

    /** Moves the current period forward to the one containing {@code eventTime}, if that one is later. */
    public static void advancePeriod(ConsumerLedger ledger, long eventTime) {
        String label = Periods.periodOf(ledger.getPeriodKind(), eventTime);
        if (ledger.getCurrentPeriod() == null || label.compareTo(ledger.getCurrentPeriod()) > 0) {
            ledger.setCurrentPeriod(label);
        }
    }

    /** Applies a ConsumerUpdated; returns true when the plan id changed (the caller then re-rates). */
    public static boolean applyConsumerUpdated(ConsumerLedger ledger, ConsumerUpdated update) {
        boolean planChanged = !update.getPlan().equals(ledger.getPlan());
        ledger.setPlan(update.getPlan());
        ledger.setStatus(update.getStatus());
        ledger.setBilling(update.getBilling());
        ledger.setSpendLimitMicros(update.getSpendLimitMicros());
        return planChanged;
    }

    public static long periodEnd(String kind, long periodStart) {
        ZonedDateTime start = Instant.ofEpochMilli(periodStart).atZone(ZoneOffset.UTC);
        ZonedDateTime end = Periods.DAY.equals(kind) ? start.plusDays(1) : start.plusMonths(1);
        return end.toInstant().toEpochMilli();
    }

    /** The published view of a ledger. {@code plan} is the definition of the ledger's plan, or null when unknown. */
    public static Balance toBalance(ConsumerLedger ledger, PlanDefined plan) {
        String period = ledger.getCurrentPeriod() != null ? ledger.getCurrentPeriod()
                : Periods.periodOf(ledger.getPeriodKind(), ledger.getUpdatedAt());
        PeriodUsage current = ledger.getPeriods().get(period);
        Map<String, Long> usage = current == null ? new HashMap<>() : new HashMap<>(current.getUnits());
        Map<String, Long> amounts = current == null ? new HashMap<>() : new HashMap<>(current.getAmounts());
        long spent = 0;
        for (long amount : amounts.values()) {
            spent = Math.addExact(spent, amount);
        }
        long left = Math.subtractExact(ledger.getGrantedMicros(), ledger.getChargedMicros());
        long credits;
        long remaining;
        if (POSTPAID.equals(ledger.getBilling())) {
            // what the grants still hold: postpaid charges are invoiced, never taken from credits
            credits = left;
            remaining = ledger.getSpendLimitMicros() == null ? 0 : ledger.getSpendLimitMicros() - spent;
        } else {
            // SPEC §7: remaining = credits - spent
            remaining = left;
            credits = Math.addExact(left, spent);
        }
        Map<String, MeterPrice> meters = plan == null ? new HashMap<>() : new HashMap<>(plan.getMeters());
        return Balance.newBuilder()
                .setConsumer(ledger.getConsumer())
                .setPlan(ledger.getPlan())
                .setStatus(ledger.getStatus())
                .setBilling(ledger.getBilling())
                .setCurrency(plan == null ? NO_CURRENCY : plan.getCurrency())
                .setPeriod(period)
                .setCreditsMicros(credits)
                .setSpentMicros(spent)
                .setRemainingMicros(remaining)
                .setSpendLimitMicros(ledger.getSpendLimitMicros())
                .setUsage(usage)
                .setAmounts(amounts)
                .setMeters(meters)
                .setVersion(ledger.getVersion())
                .setLastEventTime(ledger.getLastEventTime() == null ? null : Instant.ofEpochMilli(ledger.getLastEventTime()))
                .setUpdatedAt(Instant.ofEpochMilli(ledger.getUpdatedAt()))
                .setEventsCounted(ledger.getEventsCounted())
                .build();
    }

    private static PeriodUsage emptyPeriod(long start) {
        return new PeriodUsage(start, new HashMap<>(), new HashMap<>(), new HashMap<>());
    }
}
