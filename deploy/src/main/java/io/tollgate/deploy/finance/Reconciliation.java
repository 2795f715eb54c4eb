package io.tollgate.deploy.finance;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.schemas.money.Money;
import io.tollgate.schemas.money.Periods;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Recomputes every consumer's usage and charges from the inputs alone (usage.events and billing.accounts)
 * and compares them with what metering-streams published (usage.hourly and billing.balances). No Kafka here.
 *
 * <p>The rules, restated independently of metering-streams:
 * <ul>
 *   <li>Per partition, in offset order, stream time is the largest event time seen; an event older than stream
 *       time minus the dedup window is too late and not counted; an event with negative units is not counted.</li>
 *   <li>An event whose (source, id) was counted before, with an event time within the window, is a duplicate.</li>
 *   <li>Each counted event adds its units to its consumer's (meter, hour of event time).</li>
 *   <li>A period (the consumer's plan's UTC month or day) is charged per meter from its total, with
 *       {@link Money#charge}: billable units times the unit price over {@code per}, rounded half-up once.</li>
 *   <li>Credits: the sum of grants, each (consumer, idempotency key) once. A prepaid balance's credits are the grants
 *       minus the charges of every period before the balance's period, and remaining is credits minus spent; a
 *       postpaid balance's credits are the grants (postpaid charges are invoiced, never taken from credits), and
 *       remaining is spend limit minus spent. Like the rating, this takes the consumer's current billing mode for its
 *       whole history.</li>
 * </ul>
 * Every period is rated with the consumer's plan as it stands at the end of billing.accounts; a price change
 * after a period was closed by streams shows up as a difference for that period.
 */
public final class Reconciliation {
    /** One record with where it was read from. */
    public record Read<T>(int partition, long offset, String key, T value) {
    }

    public record HourKey(String consumer, String meter, long hourStart) implements Comparable<HourKey> {
        @Override
        public int compareTo(HourKey o) {
            int c = consumer.compareTo(o.consumer);
            if (c != 0) {
                return c;
            }
            c = meter.compareTo(o.meter);
            return c != 0 ? c : Long.compare(hourStart, o.hourStart);
        }
    }

    public record HourTotal(long units, long events) {
    }

    public record Difference(String consumer, String subject, String field, String expected, String actual) {
        @Override
        public String toString() {
            return consumer + " " + subject + " " + field + ": recomputed " + expected + ", published " + actual;
        }
    }

    /** What the inputs say, independently of metering-streams. */
    public record Recomputed(Map<HourKey, HourTotal> hours, Map<String, PlanDefined> plans,
                             Map<String, ConsumerUpdated> consumers, Map<String, Long> grantedMicros,
                             long eventsRead, long eventsCounted, long duplicates, long tooLate, long invalid) {

        public String periodKind(String consumer) {
            PlanDefined plan = planOf(consumer);
            return plan != null && Periods.isValidKind(plan.getPeriod()) ? plan.getPeriod() : Periods.MONTH;
        }

        public PlanDefined planOf(String consumer) {
            ConsumerUpdated c = consumers.get(consumer);
            return c == null ? null : plans.get(c.getPlan());
        }

        /** Units per period and meter of one consumer. */
        public Map<String, Map<String, Long>> periodUnits(String consumer) {
            String kind = periodKind(consumer);
            Map<String, Map<String, Long>> periods = new TreeMap<>();
            hours.forEach((key, total) -> {
                if (key.consumer().equals(consumer)) {
                    periods.computeIfAbsent(Periods.periodOf(kind, key.hourStart()), p -> new TreeMap<>())
                            .merge(key.meter(), total.units(), Long::sum);
                }
            });
            return periods;
        }

        /** The charge per period and meter of one consumer, each rounded once from the period total. */
        public Map<String, Map<String, Long>> periodCharges(String consumer) {
            PlanDefined plan = planOf(consumer);
            Map<String, Map<String, Long>> charges = new TreeMap<>();
            periodUnits(consumer).forEach((period, units) -> {
                Map<String, Long> amounts = new TreeMap<>();
                units.forEach((meter, total) -> amounts.put(meter, charge(plan, meter, total)));
                charges.put(period, amounts);
            });
            return charges;
        }

        public Set<String> consumersSeen() {
            Set<String> all = new TreeSet<>(consumers.keySet());
            hours.keySet().forEach(k -> all.add(k.consumer()));
            all.addAll(grantedMicros.keySet());
            return all;
        }
    }

    private Reconciliation() {
    }

    public static long charge(PlanDefined plan, String meter, long units) {
        MeterPrice price = plan == null ? null : plan.getMeters().get(meter);
        if (price == null) {
            return 0;
        }
        return Money.charge(Money.billable(units, price.getIncluded()), price.getUnitPriceNanos(), price.getPer());
    }

    /**
     * @param events  usage.events, each partition in offset order
     * @param accounts billing.accounts, each partition in offset order
     */
    public static Recomputed recompute(List<Read<UsageEvent>> events, List<Read<AccountEvent>> accounts, Duration dedupWindow) {
        long window = dedupWindow.toMillis();
        Map<HourKey, long[]> hours = new TreeMap<>();
        Map<Integer, Long> streamTimes = new HashMap<>();
        Map<String, List<Long>> seen = new HashMap<>();
        long counted = 0;
        long duplicates = 0;
        long tooLate = 0;
        long invalid = 0;
        for (Read<UsageEvent> read : events) {
            UsageEvent event = read.value();
            long eventTime = event.getEventTime().toEpochMilli();
            long streamTime = Math.max(streamTimes.getOrDefault(read.partition(), Long.MIN_VALUE), eventTime);
            streamTimes.put(read.partition(), streamTime);
            if (eventTime < streamTime - window) {
                tooLate++;
                continue;
            }
            if (event.getMeters().values().stream().anyMatch(units -> units == null || units < 0)) {
                invalid++;
                continue;
            }
            List<Long> times = seen.computeIfAbsent(event.getSource() + "\u0000" + event.getId(), k -> new ArrayList<>());
            if (times.stream().anyMatch(t -> Math.abs(t - eventTime) <= window)) {
                duplicates++;
                continue;
            }
            times.add(eventTime);
            counted++;
            String consumer = read.key() != null ? read.key() : event.getConsumer();
            long hour = Periods.hourStart(eventTime);
            event.getMeters().forEach((meter, units) -> {
                long[] total = hours.computeIfAbsent(new HourKey(consumer, meter, hour), k -> new long[2]);
                total[0] = Math.addExact(total[0], units);
                total[1]++;
            });
        }

        Map<String, PlanDefined> plans = new HashMap<>();
        Map<String, ConsumerUpdated> consumers = new HashMap<>();
        Map<String, Long> granted = new HashMap<>();
        Set<String> grantKeys = new HashSet<>();
        for (Read<AccountEvent> read : accounts) {
            Object payload = read.value().getPayload();
            if (payload instanceof PlanDefined plan) {
                if (read.partition() == 0) {
                    plans.put(plan.getPlan(), plan);
                }
            } else if (payload instanceof ConsumerUpdated consumer) {
                consumers.put(consumer.getConsumer(), consumer);
            } else if (payload instanceof CreditsGranted grant) {
                if (grantKeys.add(grant.getConsumer() + "\u0000" + grant.getIdempotencyKey())) {
                    granted.merge(grant.getConsumer(), grant.getAmountMicros(), Long::sum);
                }
            }
        }
        Map<HourKey, HourTotal> totals = new TreeMap<>();
        hours.forEach((key, total) -> totals.put(key, new HourTotal(total[0], total[1])));
        return new Recomputed(totals, plans, consumers, granted, events.size(), counted, duplicates, tooLate, invalid);
    }

    /**
     * Differences between the recomputation and what streams published.
     *
     * @param hourly   usage.hourly in offset order (the latest record of an hour is its total)
     * @param balances billing.balances in offset order (the latest record of a consumer is its balance)
     */
    public static List<Difference> compare(Recomputed expected, Collection<UsageAggregate> hourly, Collection<Balance> balances) {
        List<Difference> differences = new ArrayList<>();
        Map<HourKey, UsageAggregate> published = new TreeMap<>();
        for (UsageAggregate aggregate : hourly) {
            published.put(new HourKey(aggregate.getConsumer(), aggregate.getMeter(), aggregate.getHourStart().toEpochMilli()), aggregate);
        }
        Set<HourKey> keys = new TreeSet<>(expected.hours().keySet());
        keys.addAll(published.keySet());
        for (HourKey key : keys) {
            HourTotal want = expected.hours().getOrDefault(key, new HourTotal(0, 0));
            UsageAggregate got = published.get(key);
            String subject = "usage.hourly " + key.meter() + " " + Instant.ofEpochMilli(key.hourStart());
            long gotUnits = got == null ? 0 : got.getUnits();
            long gotEvents = got == null ? 0 : got.getEvents();
            if (want.units() != gotUnits) {
                differences.add(new Difference(key.consumer(), subject, "units", Long.toString(want.units()), got == null ? "missing" : Long.toString(gotUnits)));
            }
            if (want.events() != gotEvents) {
                differences.add(new Difference(key.consumer(), subject, "events", Long.toString(want.events()), got == null ? "missing" : Long.toString(gotEvents)));
            }
        }

        Set<String> consumers = new TreeSet<>(expected.consumersSeen());
        published.keySet().forEach(k -> consumers.add(k.consumer()));
        for (String consumer : consumers) {
            String kind = expected.periodKind(consumer);
            Map<String, Map<String, Long>> charges = expected.periodCharges(consumer);
            Map<String, Map<String, Long>> hourAmounts = new TreeMap<>();
            published.forEach((key, aggregate) -> {
                if (key.consumer().equals(consumer)) {
                    hourAmounts.computeIfAbsent(Periods.periodOf(kind, key.hourStart()), p -> new TreeMap<>())
                            .merge(key.meter(), aggregate.getAmountMicros(), Long::sum);
                }
            });
            Set<String> periods = new TreeSet<>(charges.keySet());
            periods.addAll(hourAmounts.keySet());
            for (String period : periods) {
                Map<String, Long> want = charges.getOrDefault(period, Map.of());
                Map<String, Long> got = hourAmounts.getOrDefault(period, Map.of());
                Set<String> meters = new TreeSet<>(want.keySet());
                meters.addAll(got.keySet());
                for (String meter : meters) {
                    long w = want.getOrDefault(meter, 0L);
                    long g = got.getOrDefault(meter, 0L);
                    if (w != g) {
                        differences.add(new Difference(consumer, "usage.hourly " + meter + " " + period, "amount (sum of hours)",
                                Money.formatMicros(w), Money.formatMicros(g)));
                    }
                }
            }
        }

        Map<String, Balance> latest = new TreeMap<>();
        balances.forEach(b -> latest.put(b.getConsumer(), b));
        for (String consumer : consumers) {
            if (!latest.containsKey(consumer) && (expected.consumers().containsKey(consumer) || expected.grantedMicros().containsKey(consumer))) {
                differences.add(new Difference(consumer, "billing.balances", "balance", "present", "missing"));
            }
        }
        for (Balance balance : latest.values()) {
            differences.addAll(compareBalance(expected, balance));
        }
        return differences;
    }

    private static List<Difference> compareBalance(Recomputed expected, Balance balance) {
        String consumer = balance.getConsumer();
        String subject = "billing.balances " + balance.getPeriod();
        List<Difference> differences = new ArrayList<>();
        Map<String, Map<String, Long>> units = expected.periodUnits(consumer);
        Map<String, Map<String, Long>> charges = expected.periodCharges(consumer);
        Map<String, Long> periodUnits = nonZero(units.getOrDefault(balance.getPeriod(), Map.of()));
        if (!periodUnits.equals(nonZero(balance.getUsage()))) {
            differences.add(new Difference(consumer, subject, "usage", periodUnits.toString(), nonZero(balance.getUsage()).toString()));
        }
        long spent = charges.getOrDefault(balance.getPeriod(), Map.of()).values().stream().mapToLong(Long::longValue).sum();
        long earlier = charges.entrySet().stream().filter(e -> e.getKey().compareTo(balance.getPeriod()) < 0)
                .flatMap(e -> e.getValue().values().stream()).mapToLong(Long::longValue).sum();
        long granted = expected.grantedMicros().getOrDefault(consumer, 0L);
        ConsumerUpdated account = expected.consumers().get(consumer);
        long credits;
        long remaining;
        if (account != null && "postpaid".equals(account.getBilling())) {
            credits = granted;
            remaining = account.getSpendLimitMicros() == null ? 0 : account.getSpendLimitMicros() - spent;
        } else {
            credits = granted - earlier;
            remaining = credits - spent;
        }
        check(differences, consumer, subject, "spent", spent, balance.getSpentMicros());
        check(differences, consumer, subject, "credits", credits, balance.getCreditsMicros());
        check(differences, consumer, subject, "remaining", remaining, balance.getRemainingMicros());
        if (account != null && !Objects.equals(account.getPlan(), balance.getPlan())) {
            differences.add(new Difference(consumer, subject, "plan", account.getPlan(), String.valueOf(balance.getPlan())));
        }
        return differences;
    }

    private static void check(List<Difference> differences, String consumer, String subject, String field, long want, long got) {
        if (want != got) {
            differences.add(new Difference(consumer, subject, field, Money.formatMicros(want), Money.formatMicros(got)));
        }
    }

    private static Map<String, Long> nonZero(Map<String, Long> units) {
        Map<String, Long> out = new TreeMap<>();
        units.forEach((meter, value) -> {
            if (value != null && value != 0) {
                out.put(meter, value);
            }
        });
        return out;
    }
}
