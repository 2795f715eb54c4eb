package io.tollgate.schemas.money;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;

/** Billing periods are UTC calendar months ("2026-11") or days ("2026-11-21"). */
public final class Periods {
    public static final String MONTH = "month";
    public static final String DAY = "day";

    private Periods() {
    }

    public static String periodOf(String kind, long epochMillis) {
        LocalDate date = Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC).toLocalDate();
        return switch (kind) {
            case DAY -> date.toString();
            case MONTH -> YearMonth.from(date).toString();
            default -> throw new IllegalArgumentException("unknown period kind: " + kind);
        };
    }

    /** Start of the period containing {@code epochMillis}, in epoch millis. */
    public static long startOf(String kind, long epochMillis) {
        LocalDate date = Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC).toLocalDate();
        LocalDate start = switch (kind) {
            case DAY -> date;
            case MONTH -> date.withDayOfMonth(1);
            default -> throw new IllegalArgumentException("unknown period kind: " + kind);
        };
        return start.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    public static boolean isValidKind(String kind) {
        return MONTH.equals(kind) || DAY.equals(kind);
    }

    /** Start of the hour containing {@code epochMillis}. */
    public static long hourStart(long epochMillis) {
        return Math.floorDiv(epochMillis, 3_600_000L) * 3_600_000L;
    }
}
