package io.tollgate.schemas.money;

import net.jqwik.api.ForAll;
import net.jqwik.api.Group;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.math.RoundingMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MoneyTest {

    /** The rule written independently: amount = billable x unitPrice / per, rounded half-up to the micro-unit. */
    private static long expectedCharge(long billable, long unitPriceNanos, long per) {
        BigDecimal unitPrice = BigDecimal.valueOf(unitPriceNanos, 9);
        return BigDecimal.valueOf(billable).multiply(unitPrice)
                .divide(BigDecimal.valueOf(per), 6, RoundingMode.HALF_UP)
                .movePointRight(6).longValueExact();
    }

    @Nested
    @Group
    class Charge {
        @Test
        void specExampleSixHundredBillableRequestsAtTwoTenthsOfACent() {
            long billable = Money.billable(1600, 1000);

            long amount = Money.charge(billable, Money.parseNanos("0.002"), 1);

            assertThat(billable).isEqualTo(600);
            assertThat(amount).isEqualTo(1_200_000);
            assertThat(Money.formatMicros(amount)).isEqualTo("1.20");
        }

        @Test
        void tokensPricedPerMillion() {
            long inputPrice = Money.parseNanos("0.50");
            long outputPrice = Money.parseNanos("1.50");

            assertThat(Money.charge(1_200, inputPrice, 1_000_000)).isEqualTo(600);           // 0.0006
            assertThat(Money.charge(2_000_000, inputPrice, 1_000_000)).isEqualTo(1_000_000); // 1.00
            assertThat(Money.charge(310, outputPrice, 1_000_000)).isEqualTo(465);            // 0.000465
            assertThat(Money.formatMicros(Money.charge(1_200, inputPrice, 1_000_000))).isEqualTo("0.0006");
        }

        @ParameterizedTest(name = "{0} units at {1} per {2} = {3} micro-units")
        @CsvSource({
                "1, 0.50, 1000000, 1",        // 0.5 micro rounds up
                "1, 0.49, 1000000, 0",        // 0.49 micro rounds down
                "3, 0.50, 1000000, 2",        // 1.5 micro rounds up
                "5, 0.0000001, 1, 1",         // 0.5 micro rounds up
                "4, 0.0000001, 1, 0",         // 0.4 micro rounds down
                "1, 0.000001, 3, 0",          // one third of a micro
                "2, 0.000001, 3, 1",          // two thirds of a micro
                "1, 0.0000015, 1, 2",         // 1.5 micro
                "1, 0.0000025, 1, 3",         // 2.5 micro: half-up, not half-even
                "7, 1.00, 1, 7000000",
                "999, 0.002, 1000, 1998"})
        void roundsHalfUpAtTheMicroUnit(long billable, String unitPrice, long per, long expectedMicros) {
            assertThat(Money.charge(billable, Money.parseNanos(unitPrice), per)).isEqualTo(expectedMicros);
        }

        @Test
        void isComputedOnceOnThePeriodTotalNotAddedUpPerEvent() {
            long price = Money.parseNanos("0.50");
            long perEventSum = 3 * Money.charge(1, price, 1_000_000);

            assertThat(Money.charge(3, price, 1_000_000)).isEqualTo(2);
            assertThat(perEventSum).isEqualTo(3);
        }

        @Test
        void zeroUnitsOrFreeMeterCostNothing() {
            assertThat(Money.charge(0, 5_000_000_000L, 1)).isZero();
            assertThat(Money.charge(1_000_000, 0, 1)).isZero();
        }

        @Test
        void rejectsNegativeInputsAndZeroPer() {
            assertThatThrownBy(() -> Money.charge(-1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Money.charge(1, -1, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Money.charge(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Money.charge(1, 1, -1000)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void chargeBeyondALongIsAnErrorNotAWrapAround() {
            assertThatThrownBy(() -> Money.charge(Long.MAX_VALUE, Long.MAX_VALUE, 1)).isInstanceOf(ArithmeticException.class);
        }

        @Test
        void largestProductsStayExact() {
            // 9.2e18 units at 1e-9 per unit is 9.2e9 currency units: far beyond a double's exact range in micro-units
            assertThat(Money.charge(Long.MAX_VALUE, 1, 1)).isEqualTo(expectedCharge(Long.MAX_VALUE, 1, 1))
                    .isEqualTo(9_223_372_036_854_776L);
        }

        @Property
        void agreesWithBigDecimal(@ForAll @LongRange(min = 0, max = 10_000_000_000L) long billable,
                                  @ForAll @LongRange(min = 0, max = 100_000_000_000L) long unitPriceNanos,
                                  @ForAll @LongRange(min = 1, max = 10_000_000L) long per) {
            assertThat(Money.charge(billable, unitPriceNanos, per)).isEqualTo(expectedCharge(billable, unitPriceNanos, per));
        }

        @Property
        void splittingAPeriodMovesTheChargeByAtMostOneMicroUnit(@ForAll @LongRange(min = 0, max = 1_000_000_000L) long a,
                                                              @ForAll @LongRange(min = 0, max = 1_000_000_000L) long b,
                                                              @ForAll @LongRange(min = 0, max = 10_000_000_000L) long price,
                                                              @ForAll @LongRange(min = 1, max = 1_000_000L) long per) {
            long whole = Money.charge(a + b, price, per);
            long parts = Money.charge(a, price, per) + Money.charge(b, price, per);

            assertThat(Math.abs(whole - parts)).isLessThanOrEqualTo(1);
            assertThat(whole).isGreaterThanOrEqualTo(Money.charge(a, price, per));
        }
    }

    @Nested
    @Group
    class Billable {
        @ParameterizedTest(name = "{0} units with {1} included: {2} billable")
        @CsvSource({"1600, 1000, 600", "1000, 1000, 0", "999, 1000, 0", "0, 0, 0", "5, 0, 5", "5, -3, 5"})
        void unitsBeyondTheIncludedOnes(long units, long included, long expected) {
            assertThat(Money.billable(units, included)).isEqualTo(expected);
        }

        @Property
        void neverNegativeAndNeverMoreThanTheUnits(@ForAll @LongRange(min = 0) long units, @ForAll @LongRange(min = 0) long included) {
            long billable = Money.billable(units, included);

            assertThat(billable).isBetween(0L, units);
            assertThat(billable).isEqualTo(Math.max(0, units - included));
        }
    }

    @Nested
    @Group
    class Parse {
        @ParameterizedTest(name = "\"{0}\" = {1} micro-units")
        @CsvSource({
                "25.00, 25000000",
                "0.002, 2000",
                "0.000001, 1",
                "1, 1000000",
                "0, 0",
                "-0, 0",
                "0.0000010, 1",                  // trailing zeros beyond 6 decimals are not precision
                "' 1.5 ', 1500000",
                "1234.50, 1234500000",
                "9223372036854.775807, 9223372036854775807",
                "1e3, 1000000000",
                "2.5E-3, 2500"})
        void parsesDecimalStringsToMicros(String text, long expected) {
            assertThat(Money.parseMicros(text)).isEqualTo(expected);
        }

        @ParameterizedTest(name = "\"{0}\" = {1} nano-units")
        @CsvSource({"0.50, 500000000", "0.002, 2000000", "0.0000025, 2500", "0.000000001, 1", "1.50, 1500000000"})
        void parsesPricesToNanos(String text, long expected) {
            assertThat(Money.parseNanos(text)).isEqualTo(expected);
        }

        @ParameterizedTest
        @ValueSource(strings = {"-1", "-0.01", "-25.00"})
        void rejectsNegatives(String text) {
            assertThatThrownBy(() -> Money.parseMicros(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("must not be negative: " + text);
        }

        @Test
        void rejectsMoreDecimalsThanTheScale() {
            assertThatThrownBy(() -> Money.parseMicros("0.0000001"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("more than 6 decimal places: 0.0000001");
            assertThatThrownBy(() -> Money.parseNanos("0.0000000001"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("more than 9 decimal places: 0.0000000001");
        }

        @ParameterizedTest
        @ValueSource(strings = {"abc", "1,50", "1.2.3", "$5", "5 USD", "NaN", "Infinity", "0x10", "1e", "--1", "١٢", "１"})
        void rejectsGarbage(String text) {
            assertThatThrownBy(() -> Money.parseMicros(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("not a decimal number: " + text);
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "   "})
        void rejectsBlank(String text) {
            assertThatThrownBy(() -> Money.parseMicros(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("must be a decimal string");
        }

        @Test
        void rejectsNull() {
            assertThatThrownBy(() -> Money.parseMicros(null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("must be a decimal string");
        }

        @ParameterizedTest
        @ValueSource(strings = {"9223372036854.775808", "10000000000000", "1e13", "1e2147483647", "99999999999999999999999999"})
        void rejectsAmountsBeyondALong(String text) {
            assertThatThrownBy(() -> Money.parseMicros(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("too large: " + text);
        }

        @Test
        void rejectsAbsurdlyLongInputBeforeParsingIt() {
            String text = "1" + "0".repeat(100_000);

            assertThatThrownBy(() -> Money.parseMicros(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("too long");
        }

        @Test
        void rejectsExponentsThatOverflow() {
            assertThatThrownBy(() -> Money.parseMicros("1e-2147483648"))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Money.parseMicros("1e99999999999"))
                    .isInstanceOf(IllegalArgumentException.class);
        }

        @Property
        void formatThenParseIsTheIdentity(@ForAll @LongRange(min = 0) long micros) {
            assertThat(Money.parseMicros(Money.formatMicros(micros))).isEqualTo(micros);
        }

        @Property
        void nanosFormatThenParseIsTheIdentity(@ForAll @LongRange(min = 0) long nanos) {
            assertThat(Money.parseNanos(Money.formatNanos(nanos))).isEqualTo(nanos);
        }

        @Property
        void agreesWithBigDecimal(@ForAll @LongRange(min = 0, max = 999_999_999_999L) long whole,
                                  @ForAll @LongRange(min = 0, max = 999_999) long fraction) {
            String text = whole + "." + String.format("%06d", fraction);

            assertThat(Money.parseMicros(text)).isEqualTo(new BigDecimal(text).movePointRight(6).longValueExact());
        }
    }

    @Nested
    @Group
    class Format {
        @ParameterizedTest(name = "{0} micro-units = \"{1}\"")
        @CsvSource({
                "1200000, 1.20",
                "3500, 0.0035",
                "0, 0.00",
                "1234500000, 1234.50",
                "1, 0.000001",
                "10000000000, 10000.00",
                "23800000, 23.80",
                "600, 0.0006",
                "-1200000, -1.20",
                "9223372036854775807, 9223372036854.775807"})
        void atLeastTwoAndAtMostSixDecimalsNeverAnExponent(long micros, String expected) {
            assertThat(Money.formatMicros(micros)).isEqualTo(expected);
        }

        @ParameterizedTest(name = "{0} nano-units = \"{1}\"")
        @CsvSource({"500000000, 0.50", "2000000, 0.002", "2500, 0.0000025", "1, 0.000000001", "1500000000, 1.50", "0, 0.00"})
        void pricesKeepNanoPrecision(long nanos, String expected) {
            assertThat(Money.formatNanos(nanos)).isEqualTo(expected);
        }

        @Property
        void agreesWithBigDecimal(@ForAll long micros) {
            String text = Money.formatMicros(micros);

            assertThat(new BigDecimal(text)).isEqualByComparingTo(BigDecimal.valueOf(micros, 6));
            assertThat(text).doesNotContain("E").matches("-?\\d+\\.\\d{2,6}");
        }
    }
}
