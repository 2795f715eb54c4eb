package io.tollgate.billing.finance;

import io.tollgate.avro.UsageAggregate;

import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The latest {@link UsageAggregate} per (consumer, meter, hour) read from usage.hourly, sorted by that key.
 * The latest record of a key is its total: all records of a consumer share one partition, so the one read
 * last is the one written last.
 */
public final class UsageStore {
    public record Key(String consumer, String meter, long hourStart) implements Comparable<Key> {
        private static final Comparator<Key> ORDER = Comparator.comparing(Key::consumer).thenComparing(Key::meter)
                .thenComparingLong(Key::hourStart);

        /** The first key of {@code consumer}. */
        public static Key first(String consumer) {
            return new Key(consumer, "", Long.MIN_VALUE);
        }

        @Override
        public int compareTo(Key other) {
            return ORDER.compare(this, other);
        }
    }

    private final ConcurrentSkipListMap<Key, UsageAggregate> hours = new ConcurrentSkipListMap<>();
    private final AtomicLong latestUpdate = new AtomicLong(0);

    public void put(UsageAggregate aggregate) {
        hours.put(new Key(aggregate.getConsumer(), aggregate.getMeter(), aggregate.getHourStart().toEpochMilli()), aggregate);
        latestUpdate.accumulateAndGet(aggregate.getUpdatedAt().toEpochMilli(), Math::max);
    }

    /** Every hour from {@code start} on, in key order; the whole store when {@code start} is null. */
    public NavigableMap<Key, UsageAggregate> from(Key start) {
        return start == null ? hours : hours.tailMap(start, true);
    }

    /** Units per meter of {@code consumer} in the hours that start in [from, to). */
    public Map<String, Long> unitsByMeter(String consumer, long fromMillis, long toMillis) {
        Map<String, Long> units = new TreeMap<>();
        for (Map.Entry<Key, UsageAggregate> hour : hours.tailMap(Key.first(consumer), true).entrySet()) {
            if (!hour.getKey().consumer().equals(consumer)) {
                break;
            }
            long start = hour.getKey().hourStart();
            if (start >= fromMillis && start < toMillis) {
                units.merge(hour.getKey().meter(), hour.getValue().getUnits(), Long::sum);
            }
        }
        return units;
    }

    /** The latest {@code updatedAt} of any record read: how fresh answers from this store are. */
    public Instant asOf() {
        return Instant.ofEpochMilli(latestUpdate.get());
    }

    public int size() {
        return hours.size();
    }
}
