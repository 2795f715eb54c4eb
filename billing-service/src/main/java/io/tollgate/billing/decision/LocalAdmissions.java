package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.schemas.money.Money;

import java.util.Arrays;
import java.util.Map;

/**
 * The calls this instance admitted for one consumer whose usage events its balance has not counted yet, settled by
 * what the balance has counted, never by time: metering-streams publishes {@code Balance.eventsCounted}, a lifetime
 * count of the consumer's deduplicated usage events, and when it has grown by Δ since the last balance seen, Δ of the
 * pending admissions are settled. Top-ups and plan changes do not move it, so they settle nothing.
 *
 * <p>Which Δ: events arrive in any order (gateway nodes, HTTP and raw topics, batching loggers), so the counted ones are
 * unknown. For each meter independently, the Δ admissions with the fewest units of that meter are removed (an admission
 * that does not name a meter has 0 of it). Removing the smallest from a multiset that dominates the true in-flight one
 * element by element keeps it dominating, so per meter the pending units never fall below the units of the calls really
 * in flight (when every event counted is one of this instance's admissions): the pending cost, priced with the
 * balance's current prices at the margin over its period usage, is never under-counted, whatever the order, and exact
 * when estimates are equal (the common case, one request per call).
 *
 * <p>An admission no balance ever counts (the gateway never reported the call) is dropped after the time-to-live: the
 * oldest admission goes first, and the smallest units per meter, as for a counted event. A count that goes backwards (a
 * consumer forgotten and recreated) becomes the new base and settles nothing; a balance older than the last one seen
 * ({@code updatedAt}) is ignored.
 *
 * <p>No allocation per decision once the arrays have grown to the consumer's peak of pending admissions. The pending
 * units of a meter are an exact sum: an admission that would take one past a {@code long} throws
 * {@link ArithmeticException} and changes nothing (removing from a saturated sum would under-count). Their price
 * saturates like the rules'. Not thread-safe: callers hold the instance's monitor across settle, price, decide and admit.
 */
public final class LocalAdmissions implements Admitted {
    private static final int INITIAL_CAPACITY = 8;

    /** Admission times, oldest first: a ring of {@code pending} entries from {@code oldest}. */
    private long[] admittedAt = new long[INITIAL_CAPACITY];
    private int oldest;
    private int pending;

    /** Per meter named by a pending admission: a min-heap of its nonzero units and their sum. */
    private String[] meters = new String[4];
    private long[][] heaps = new long[4][];
    private int[] heapSizes = new int[4];
    private long[] sums = new long[4];
    private int meterCount;

    private long counted = -1;
    private long countedAt = Long.MIN_VALUE;
    private long pricedMicros;

    /** Pending cost, as last {@link #price priced}. */
    @Override
    public long micros() {
        return pricedMicros;
    }

    /** Pending units of {@code meter}. */
    @Override
    public long units(String meter) {
        int m = indexOf(meter);
        return m < 0 ? 0 : sums[m];
    }

    /** Admissions not settled yet. */
    public int size() {
        return pending;
    }

    /** The {@code eventsCounted} of the last balance seen, -1 before the first. */
    public long counted() {
        return counted;
    }

    /**
     * Settles by a balance's {@code eventsCounted}: Δ admissions when it grew by Δ, none when it did not or went
     * backwards (then it becomes the new base); a balance older ({@code updatedAt}) than the last one seen is stale and
     * settles nothing. Then drops the admissions made before {@code expireBeforeMillis}.
     */
    public void settle(long eventsCounted, long balanceUpdatedAtMillis, long expireBeforeMillis) {
        if (counted < 0 || balanceUpdatedAtMillis >= countedAt) {
            if (counted >= 0 && eventsCounted > counted) {
                remove((int) Math.min(pending, eventsCounted - counted));
            }
            counted = eventsCounted;
            countedAt = balanceUpdatedAtMillis;
        }
        int expired = 0;
        while (expired < pending && admittedAt[(oldest + expired) % admittedAt.length] < expireBeforeMillis) {
            expired++;
        }
        remove(expired);
    }

    /**
     * Prices the pending units with the balance's meters at the margin over its period usage:
     * Σ per meter {@code charge(used + pending) − charge(used)}, {@code used} being 0 when the balance's period has ended,
     * saturating as {@link DecisionRules} does (a cost beyond a {@code long} is more than any balance).
     * {@link #micros()} answers it until the next call.
     */
    public long price(Balance balance, CurrentPeriods now) {
        long cost = 0;
        if (meterCount > 0) {
            boolean periodEnded = now.hasEnded(balance.getPeriod());
            Map<String, Long> usage = balance.getUsage();
            for (Map.Entry<String, MeterPrice> entry : balance.getMeters().entrySet()) {
                long units = units(entry.getKey());
                if (units > 0) {
                    MeterPrice price = entry.getValue();
                    Long inBalance = periodEnded ? null : usage.get(entry.getKey());
                    long used = inBalance == null ? 0 : inBalance;
                    long charged = FastCharge.charge(Money.billable(used, price.getIncluded()), price.getUnitPriceNanos(), price.getPer());
                    long withPending = FastCharge.charge(Money.billable(Saturating.add(used, units), price.getIncluded()),
                            price.getUnitPriceNanos(), price.getPer());
                    cost = Saturating.add(cost, withPending == FastCharge.BEYOND_ANY_BALANCE ? withPending : withPending - charged);
                }
            }
        }
        pricedMicros = cost;
        return cost;
    }

    /** Records an allowed call with its effective estimate (units per meter, {@code requests} included). */
    public void admit(long nowMillis, Estimate effectiveEstimate) {
        for (int i = 0; i < effectiveEstimate.size(); i++) {
            int m = indexOf(effectiveEstimate.meter(i));
            Math.addExact(m < 0 ? 0 : sums[m], effectiveEstimate.units(i));
        }
        if (pending == admittedAt.length) {
            long[] grown = new long[pending * 2];
            for (int i = 0; i < pending; i++) {
                grown[i] = admittedAt[(oldest + i) % pending];
            }
            admittedAt = grown;
            oldest = 0;
        }
        admittedAt[(oldest + pending) % admittedAt.length] = nowMillis;
        pending++;
        for (int i = 0; i < effectiveEstimate.size(); i++) {
            long units = effectiveEstimate.units(i);
            if (units > 0) {
                int m = indexOf(effectiveEstimate.meter(i));
                push(m < 0 ? addMeter(effectiveEstimate.meter(i)) : m, units);
            }
        }
    }

    /** Removes {@code count} admissions: the oldest times, and per meter the smallest units. */
    private void remove(int count) {
        if (count <= 0) {
            return;
        }
        for (int m = 0; m < meterCount; m++) {
            int withoutThisMeter = pending - heapSizes[m];
            for (int r = count - withoutThisMeter; r > 0; r--) {
                sums[m] -= popMin(m);
            }
        }
        oldest = (oldest + count) % admittedAt.length;
        pending -= count;
    }

    private int indexOf(String meter) {
        for (int m = 0; m < meterCount; m++) {
            if (meters[m].equals(meter)) {
                return m;
            }
        }
        return -1;
    }

    private int addMeter(String meter) {
        if (meterCount == meters.length) {
            meters = Arrays.copyOf(meters, meterCount * 2);
            heaps = Arrays.copyOf(heaps, meterCount * 2);
            heapSizes = Arrays.copyOf(heapSizes, meterCount * 2);
            sums = Arrays.copyOf(sums, meterCount * 2);
        }
        meters[meterCount] = meter;
        heaps[meterCount] = new long[INITIAL_CAPACITY];
        heapSizes[meterCount] = 0;
        sums[meterCount] = 0;
        return meterCount++;
    }

    private void push(int m, long units) {
        long[] heap = heaps[m];
        int size = heapSizes[m];
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
            heaps[m] = heap;
        }
        int i = size;
        while (i > 0 && heap[(i - 1) / 2] > units) {
            heap[i] = heap[(i - 1) / 2];
            i = (i - 1) / 2;
        }
        heap[i] = units;
        heapSizes[m] = size + 1;
        sums[m] += units;
    }

    private long popMin(int m) {
        long[] heap = heaps[m];
        int size = --heapSizes[m];
        long min = heap[0];
        long last = heap[size];
        int i = 0;
        while (2 * i + 1 < size) {
            int child = 2 * i + 1;
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= last) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return min;
    }
}
