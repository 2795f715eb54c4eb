package io.tollgate.billing.decision;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * What this instance admitted for one consumer that its balance may not include yet: each allowed call's
 * estimated cost and units, tagged with the time it was admitted. A balance covering events up to time T
 * ({@code lastEventTime}, else {@code updatedAt}) settles every admission made before T (strictly: an admission in
 * the same millisecond as T may be a call whose event is not in the balance yet, so it keeps counting); an admission older
 * than the time-to-live is dropped even when no balance covers it (the pipeline is then stale, which the staleness
 * policy handles). Not thread-safe: callers hold the instance's monitor across settle, decide and admit.
 */
public final class LocalAdmissions implements Admitted {
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final Map<String, long[]> unitsByMeter = new HashMap<>(8);
    private long micros;

    private record Entry(long admittedAtMillis, long micros, Estimate estimate) {
    }

    @Override
    public long micros() {
        return micros;
    }

    @Override
    public long units(String meter) {
        if (entries.isEmpty()) {
            return 0;
        }
        long[] units = unitsByMeter.get(meter);
        return units == null ? 0 : units[0];
    }

    public int size() {
        return entries.size();
    }

    /** Records an allowed call: its effective estimate and its estimated cost. */
    public void admit(long nowMillis, long costMicros, Estimate effectiveEstimate) {
        entries.addLast(new Entry(nowMillis, costMicros, effectiveEstimate));
        micros += costMicros;
        for (int i = 0; i < effectiveEstimate.size(); i++) {
            long[] units = unitsByMeter.get(effectiveEstimate.meter(i));
            if (units == null) {
                units = new long[1];
                unitsByMeter.put(effectiveEstimate.meter(i), units);
            }
            units[0] += effectiveEstimate.units(i);
        }
    }

    /** Drops admissions made before {@code coveredUpToMillis} or before {@code expireBeforeMillis}. */
    public void settle(long coveredUpToMillis, long expireBeforeMillis) {
        Entry head;
        while ((head = entries.peekFirst()) != null
                && (head.admittedAtMillis < coveredUpToMillis || head.admittedAtMillis < expireBeforeMillis)) {
            entries.pollFirst();
            micros -= head.micros;
            Estimate estimate = head.estimate;
            for (int i = 0; i < estimate.size(); i++) {
                unitsByMeter.get(estimate.meter(i))[0] -= estimate.units(i);
            }
        }
        if (entries.isEmpty()) {
            micros = 0;
            unitsByMeter.clear();
        }
    }
}
