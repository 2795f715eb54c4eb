package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * One consumer calling as fast as it can against one decision instance, with the metering pipeline simulated on a
 * virtual clock: every allowed call becomes a usage event; every {@code balanceEveryMillis} a new balance appears
 * that includes the events older than {@code pipelineDelayMillis} (gateway log shipping, ingest, Streams commit).
 * Overshoot = spend beyond the credits, as a share of the credits, once every event has reached the balance.
 * Deterministic: no threads, no wall clock.
 *
 * <p>{@code java -cp ... io.tollgate.billing.decision.OvershootSimulation} prints the table of the README.
 */
public final class OvershootSimulation {
    static final long CREDITS_MICROS = 10_000_000;
    static final long PRICE_NANOS = 2_000_000;

    /**
     * @param callsPerMilli       the consumer's call rate
     * @param pipelineDelayMillis how old an event must be to be in a balance
     * @param balanceEveryMillis  how often a new balance is published
     * @param actualPerDeclared   requests really used per request declared (1 = honest estimates)
     * @param countAdmissions     false: decide from the balance alone, as without local admissions
     */
    record Scenario(int callsPerMilli, long pipelineDelayMillis, long balanceEveryMillis, int actualPerDeclared,
                    boolean countAdmissions) {
    }

    record Result(long allowedCalls, long spentMicros, double overshoot) {
    }

    private OvershootSimulation() {
    }

    static Result run(Scenario s) {
        long start = Instant.parse("2026-11-21T10:00:00Z").toEpochMilli();
        long[] now = {start};
        InMemoryBalances balances = new InMemoryBalances(() -> now[0]);
        balances.put(balance(0, start - 1_000, null, 1));
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH,
                new DecisionService.Settings(false, false, 300_000), () -> now[0]);
        CurrentPeriods periods = CurrentPeriods.at(start);
        ArrayDeque<Long> inFlight = new ArrayDeque<>();
        long units = 0;
        long allowed = 0;
        long lastEvent = -1;
        long version = 1;
        long horizon = 10_000;
        for (long t = 0; t <= horizon; t++) {
            now[0] = start + t;
            for (int i = 0; i < s.callsPerMilli(); i++) {
                boolean ok = s.countAdmissions()
                        ? service.decide("acme", Estimate.NONE).allowed()
                        : DecisionRules.decide(balances.get("acme").orElseThrow().balance(), Estimate.NONE, Admitted.NOTHING, periods).allowed();
                if (ok) {
                    allowed++;
                    inFlight.addLast(now[0]);
                }
            }
            if (t % s.balanceEveryMillis() == 0) {
                boolean moved = false;
                while (!inFlight.isEmpty() && inFlight.peekFirst() <= now[0] - s.pipelineDelayMillis()) {
                    lastEvent = inFlight.pollFirst();
                    units += s.actualPerDeclared();
                    moved = true;
                }
                if (moved) {
                    balances.put(balance(units, now[0], lastEvent, ++version));
                }
            }
        }
        long spent = units * PRICE_NANOS / 1000;
        return new Result(allowed, spent, (double) (spent - CREDITS_MICROS) / CREDITS_MICROS);
    }

    private static Balance balance(long units, long updatedAt, Long lastEventTime, long version) {
        long spent = units * PRICE_NANOS / 1000;
        Map<String, MeterPrice> meters = Map.of("requests",
                MeterPrice.newBuilder().setUnitPriceNanos(PRICE_NANOS).setPer(1).setIncluded(0).setHardLimit(null).build());
        Map<String, Long> usage = new HashMap<>();
        usage.put("requests", units);
        return Balance.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active").setBilling("prepaid")
                .setCurrency("USD").setPeriod("2026-11").setCreditsMicros(CREDITS_MICROS).setSpentMicros(spent)
                .setRemainingMicros(CREDITS_MICROS - spent).setSpendLimitMicros(null).setUsage(usage).setAmounts(Map.of())
                .setMeters(meters).setVersion(version)
                .setLastEventTime(lastEventTime == null ? null : Instant.ofEpochMilli(lastEventTime))
                .setUpdatedAt(Instant.ofEpochMilli(updatedAt)).build();
    }

    /**
     * The same on the wall clock: one thread calls {@link DecisionService#decide} for one consumer as fast as it can
     * for {@code seconds}; a second thread plays the pipeline (a balance every {@code balanceEveryMillis} with the events
     * older than {@code pipelineDelayMillis}); then the pipeline drains. Returns the calls made per second too.
     */
    record RealTimeResult(long calls, long allowedCalls, long spentMicros, double overshoot, double callsPerSecond) {
    }

    static RealTimeResult runRealTime(long pipelineDelayMillis, long balanceEveryMillis, boolean countAdmissions, long seconds)
            throws InterruptedException {
        long start = System.currentTimeMillis();
        InMemoryBalances balances = new InMemoryBalances();
        balances.put(balance(0, start - 1_000, null, 1));
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH,
                new DecisionService.Settings(false, false, 300_000), System::currentTimeMillis);
        CurrentPeriods periods = CurrentPeriods.at(start);
        java.util.concurrent.ConcurrentLinkedQueue<Long> events = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean calling = new java.util.concurrent.atomic.AtomicBoolean(true);
        long[] units = {0};
        Thread pipeline = new Thread(() -> {
            long version = 1;
            long lastEvent = -1;
            try {
                while (calling.get() || !events.isEmpty()) {
                    Thread.sleep(balanceEveryMillis); // paces the simulated pipeline: one balance update per interval, as streams publishes them
                    long cutoff = System.currentTimeMillis() - pipelineDelayMillis;
                    boolean moved = false;
                    Long head;
                    while ((head = events.peek()) != null && (head <= cutoff || !calling.get())) {
                        lastEvent = events.poll();
                        units[0]++;
                        moved = true;
                    }
                    if (moved) {
                        balances.put(balance(units[0], System.currentTimeMillis(), lastEvent, ++version));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pipeline");
        pipeline.start();
        long calls = 0;
        long allowed = 0;
        long end = start + seconds * 1000;
        while (System.currentTimeMillis() < end) {
            calls++;
            boolean ok = countAdmissions
                    ? service.decide("acme", Estimate.NONE).allowed()
                    : DecisionRules.decide(balances.get("acme").orElseThrow().balance(), Estimate.NONE, Admitted.NOTHING, periods).allowed();
            if (ok) {
                allowed++;
                events.add(System.currentTimeMillis());
            }
        }
        calling.set(false);
        pipeline.join();
        long spent = units[0] * PRICE_NANOS / 1000;
        return new RealTimeResult(calls, allowed, spent, (double) (spent - CREDITS_MICROS) / CREDITS_MICROS,
                calls / (double) seconds);
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("realtime")) {
            System.out.println("| calls/s (as fast as one thread can) | pipeline delay | balance every | local admissions | allowed | spent | overshoot |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (boolean admissions : new boolean[] {true, false}) {
                RealTimeResult r = runRealTime(200, 100, admissions, 3);
                System.out.printf("| %,.0f | 200 ms | 100 ms | %s | %,d | %s | %.1f %% |%n", r.callsPerSecond(),
                        admissions ? "counted" : "ignored", r.allowedCalls(),
                        io.tollgate.schemas.money.Money.formatMicros(r.spentMicros()), 100 * r.overshoot());
            }
            return;
        }
        System.out.println("| calls/s | pipeline delay | balance every | usage vs estimate | local admissions | allowed | spent | overshoot |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int rate : new int[] {5, 50}) {
            for (long delay : new long[] {200, 2000}) {
                for (int actual : new int[] {1, 2}) {
                    for (boolean admissions : new boolean[] {true, false}) {
                        Scenario s = new Scenario(rate, delay, 100, actual, admissions);
                        Result r = run(s);
                        System.out.printf("| %,d | %d ms | 100 ms | %dx | %s | %,d | %s | %.1f %% |%n", rate * 1000, delay, actual,
                                admissions ? "counted" : "ignored", r.allowedCalls(),
                                io.tollgate.schemas.money.Money.formatMicros(r.spentMicros()), 100 * r.overshoot());
                    }
                }
            }
        }
    }
}
