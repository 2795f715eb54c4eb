package io.tollgate.billing.finance;

import io.tollgate.avro.UsageAggregate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * GET /v1/usage over the {@link UsageStore}: the hours that start in [from, to), summed into buckets of one
 * granularity, one item per (consumer, meter, bucket), in that order, at most {@code limit} per page.
 * A bucket's amount is the sum of its hours' amounts, which streams attributes so that they add up to the
 * period's charge exactly. The cursor names where the next page starts, so paging stays right while
 * usage.hourly keeps growing: later pages may show later totals, never an item twice.
 */
public final class UsageQuery {
    public record Item(String consumer, String meter, long start, long units, long amountMicros) {
    }

    public record Page(List<Item> items, String next) {
    }

    public record Request(Optional<String> consumer, long fromMillis, long toMillis, Granularity granularity,
                          int limit, Optional<String> cursor) {
    }

    private UsageQuery() {
    }

    public static Page run(UsageStore store, Request request) {
        UsageStore.Key start = request.cursor().map(UsageQuery::decodeCursor)
                .orElse(request.consumer().map(UsageStore.Key::first).orElse(null));
        Granularity granularity = request.granularity();
        List<Item> items = new ArrayList<>();
        Item current = null;
        String next = null;
        for (Map.Entry<UsageStore.Key, UsageAggregate> hour : store.from(start).entrySet()) {
            UsageStore.Key key = hour.getKey();
            if (request.consumer().isPresent() && !key.consumer().equals(request.consumer().get())) {
                break;
            }
            if (key.hourStart() < request.fromMillis() || key.hourStart() >= request.toMillis()) {
                continue;
            }
            long bucket = granularity.bucketStart(key.hourStart());
            UsageAggregate aggregate = hour.getValue();
            if (current != null && current.consumer().equals(key.consumer()) && current.meter().equals(key.meter())
                    && current.start() == bucket) {
                current = new Item(current.consumer(), current.meter(), bucket, current.units() + aggregate.getUnits(),
                        current.amountMicros() + aggregate.getAmountMicros());
                continue;
            }
            if (current != null) {
                items.add(current);
            }
            if (items.size() == request.limit()) {
                Item last = items.get(items.size() - 1);
                next = encodeCursor(new UsageStore.Key(last.consumer(), last.meter(), granularity.nextBucket(last.start())));
                current = null;
                break;
            }
            current = new Item(key.consumer(), key.meter(), bucket, aggregate.getUnits(), aggregate.getAmountMicros());
        }
        if (current != null) {
            items.add(current);
        }
        return new Page(items, next);
    }

    static String encodeCursor(UsageStore.Key key) {
        String raw = key.consumer() + "\n" + key.meter() + "\n" + key.hourStart();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    /** @throws IllegalArgumentException when the cursor was not made by this class */
    static UsageStore.Key decodeCursor(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\n", -1);
            if (parts.length != 3) {
                throw new IllegalArgumentException("not a cursor of this API");
            }
            return new UsageStore.Key(parts[0], parts[1], Long.parseLong(parts[2]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a cursor of this API: use the next value of the previous page");
        }
    }
}
