package io.tollgate.billing.decision;

import io.tollgate.schemas.money.Periods;

/** The UTC month ({@code 2026-11}) and day ({@code 2026-11-21}) containing an instant, to detect a balance of a closed period. */
public record CurrentPeriods(String month, String day) {

    public static CurrentPeriods at(long epochMillis) {
        return new CurrentPeriods(Periods.periodOf(Periods.MONTH, epochMillis), Periods.periodOf(Periods.DAY, epochMillis));
    }

    /** True when {@code period} (a month or a day) ended before the current one began. */
    public boolean hasEnded(String period) {
        String current = period.length() == month.length() ? month : day;
        return period.compareTo(current) < 0;
    }
}
