package io.tollgate.schemas.money;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.TimeZone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeriodsTest {
    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    @ParameterizedTest(name = "{0} is in month {1} and day {2}")
    @CsvSource({
            "2026-11-21T10:00:00.123Z, 2026-11, 2026-11-21",
            "2026-11-30T23:59:59.999Z, 2026-11, 2026-11-30",
            "2026-12-01T00:00:00.000Z, 2026-12, 2026-12-01",
            "2026-12-31T23:59:59.999Z, 2026-12, 2026-12-31",
            "2027-01-01T00:00:00.000Z, 2027-01, 2027-01-01",
            "2028-02-29T12:00:00Z,     2028-02, 2028-02-29",
            "2028-02-29T23:59:59.999Z, 2028-02, 2028-02-29",
            "2028-03-01T00:00:00Z,     2028-03, 2028-03-01",
            "2027-02-28T23:59:59.999Z, 2027-02, 2027-02-28",
            "2027-03-01T00:00:00Z,     2027-03, 2027-03-01",
            "1970-01-01T00:00:00Z,     1970-01, 1970-01-01",
            "1969-12-31T23:59:59.999Z, 1969-12, 1969-12-31"})
    void periodsAreUtcCalendarMonthsAndDays(String instant, String month, String day) {
        assertThat(Periods.periodOf(Periods.MONTH, at(instant))).isEqualTo(month);
        assertThat(Periods.periodOf(Periods.DAY, at(instant))).isEqualTo(day);
    }

    @ParameterizedTest(name = "{0}: month starts {1}, day starts {2}")
    @CsvSource({
            "2026-11-21T10:00:00.123Z, 2026-11-01T00:00:00Z, 2026-11-21T00:00:00Z",
            "2026-11-30T23:59:59.999Z, 2026-11-01T00:00:00Z, 2026-11-30T00:00:00Z",
            "2026-12-01T00:00:00Z,     2026-12-01T00:00:00Z, 2026-12-01T00:00:00Z",
            "2028-02-29T18:30:00Z,     2028-02-01T00:00:00Z, 2028-02-29T00:00:00Z",
            "1969-12-31T23:59:59.999Z, 1969-12-01T00:00:00Z, 1969-12-31T00:00:00Z"})
    void startOfThePeriod(String instant, String monthStart, String dayStart) {
        assertThat(Periods.startOf(Periods.MONTH, at(instant))).isEqualTo(at(monthStart));
        assertThat(Periods.startOf(Periods.DAY, at(instant))).isEqualTo(at(dayStart));
    }

    @ParameterizedTest(name = "{0} is in the hour starting {1}")
    @CsvSource({
            "2026-11-21T10:00:00Z,     2026-11-21T10:00:00Z",
            "2026-11-21T10:59:59.999Z, 2026-11-21T10:00:00Z",
            "2026-11-21T11:00:00Z,     2026-11-21T11:00:00Z",
            "2028-02-29T23:30:00Z,     2028-02-29T23:00:00Z",
            "1969-12-31T23:59:59.999Z, 1969-12-31T23:00:00Z"})
    void hourStart(String instant, String hourStart) {
        assertThat(Periods.hourStart(at(instant))).isEqualTo(at(hourStart));
    }

    @Test
    void ignoresTheDefaultTimeZoneOfTheJvm() {
        TimeZone original = TimeZone.getDefault();
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Kiritimati")); // UTC+14: already December there
            long lastMillisOfNovember = at("2026-11-30T23:59:59.999Z");

            assertThat(Periods.periodOf(Periods.MONTH, lastMillisOfNovember)).isEqualTo("2026-11");
            assertThat(Periods.startOf(Periods.DAY, lastMillisOfNovember)).isEqualTo(at("2026-11-30T00:00:00Z"));
        } finally {
            TimeZone.setDefault(original);
        }
    }

    @Test
    void kindsAreMonthAndDayOnly() {
        assertThat(Periods.isValidKind("month")).isTrue();
        assertThat(Periods.isValidKind("day")).isTrue();
        assertThat(Periods.isValidKind("week")).isFalse();
        assertThat(Periods.isValidKind("Month")).isFalse();
        assertThat(Periods.isValidKind(null)).isFalse();
        assertThatThrownBy(() -> Periods.periodOf("week", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown period kind: week");
        assertThatThrownBy(() -> Periods.startOf("year", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown period kind: year");
    }

    private static final long YEAR_1900 = -2_208_988_800_000L;
    private static final long YEAR_2200 = 7_258_118_400_000L;

    @Property
    void eachInstantLiesInThePeriodThatStartsAtStartOf(@ForAll @LongRange(min = YEAR_1900, max = YEAR_2200) long millis) {
        for (String kind : new String[]{Periods.MONTH, Periods.DAY}) {
            long start = Periods.startOf(kind, millis);
            ZonedDateTime startUtc = Instant.ofEpochMilli(start).atZone(ZoneOffset.UTC);
            long next = (Periods.MONTH.equals(kind) ? startUtc.plusMonths(1) : startUtc.plusDays(1)).toInstant().toEpochMilli();

            assertThat(start).isLessThanOrEqualTo(millis);
            assertThat(millis).isLessThan(next);
            assertThat(Periods.periodOf(kind, start)).isEqualTo(Periods.periodOf(kind, millis));
            assertThat(Periods.periodOf(kind, start - 1)).isNotEqualTo(Periods.periodOf(kind, millis));
            assertThat(startUtc.toLocalTime().toSecondOfDay()).isZero();
        }
    }

    @Property
    void hourStartIsAWholeHourAtOrBeforeTheInstant(@ForAll @LongRange(min = YEAR_1900, max = YEAR_2200) long millis) {
        long start = Periods.hourStart(millis);

        assertThat(Math.floorMod(start, 3_600_000L)).isZero();
        assertThat(millis - start).isBetween(0L, 3_599_999L);
        assertThat(start).isLessThanOrEqualTo(Periods.startOf(Periods.DAY, millis) + 23 * 3_600_000L);
    }
}
