package io.tollgate.billing.finance;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Locale;

/** Size of the buckets of GET /v1/usage; every bucket starts on a UTC boundary. */
public enum Granularity {
    HOUR, DAY, MONTH;

    private static final long HOUR_MILLIS = 3_600_000L;
    private static final long DAY_MILLIS = 24 * HOUR_MILLIS;

    public static Granularity parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("must be hour, day or month, not " + text);
        }
    }

    public long bucketStart(long epochMillis) {
        return switch (this) {
            case HOUR -> Math.floorDiv(epochMillis, HOUR_MILLIS) * HOUR_MILLIS;
            case DAY -> Math.floorDiv(epochMillis, DAY_MILLIS) * DAY_MILLIS;
            case MONTH -> YearMonth.from(Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC)).atDay(1)
                    .atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        };
    }

    public long nextBucket(long bucketStart) {
        return switch (this) {
            case HOUR -> bucketStart + HOUR_MILLIS;
            case DAY -> bucketStart + DAY_MILLIS;
            case MONTH -> YearMonth.from(Instant.ofEpochMilli(bucketStart).atZone(ZoneOffset.UTC)).plusMonths(1).atDay(1)
                    .atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
