package io.tollgate.billing.finance;

import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InvoiceTest {
    static final PlanDefined PRO = PlanDefined.newBuilder().setPlan("pro").setCurrency("USD").setPeriod("month").setMeters(Map.of(
            "requests", price(2_000_000L, 1, 1000, null),
            "input_tokens", price(500_000_000L, 1_000_000, 0, null),
            "output_tokens", price(1_500_000_000L, 1_000_000, 0, 5_000_000L))).build();

    static MeterPrice price(long unitPriceNanos, long per, long included, Long hardLimit) {
        return MeterPrice.newBuilder().setUnitPriceNanos(unitPriceNanos).setPer(per).setIncluded(included).setHardLimit(hardLimit).build();
    }

    /** The charge computed independently: exact decimal arithmetic, rounded half-up to 6 decimals once. */
    static long expectedMicros(long units, long included, String unitPrice, long per) {
        BigDecimal billable = BigDecimal.valueOf(Math.max(0, units - included));
        return billable.multiply(new BigDecimal(unitPrice)).divide(BigDecimal.valueOf(per), 6, RoundingMode.HALF_UP)
                .movePointRight(6).longValueExact();
    }

    @Test
    void pricesEachMeterFromThePeriodTotalAfterIncludedUnits() {
        Invoice invoice = Invoice.compute("acme", Invoice.Period.parse("2026-11"), PRO,
                Map.of("requests", 1600L, "input_tokens", 1_234_567L, "output_tokens", 333L));

        assertThat(invoice.lines()).containsExactly(
                new Invoice.Line("input_tokens", 1_234_567L, 0, 1_234_567L, 500_000_000L, 1_000_000, expectedMicros(1_234_567L, 0, "0.50", 1_000_000)),
                new Invoice.Line("output_tokens", 333L, 0, 333L, 1_500_000_000L, 1_000_000, expectedMicros(333, 0, "1.50", 1_000_000)),
                new Invoice.Line("requests", 1600L, 1000, 600L, 2_000_000L, 1, expectedMicros(1600, 1000, "0.002", 1)));
        assertThat(invoice.lines().get(0).amountMicros()).isEqualTo(617_284L);   // 0.6172835 rounds up
        assertThat(invoice.lines().get(1).amountMicros()).isEqualTo(500L);       // 0.0004995 rounds up
        assertThat(invoice.lines().get(2).amountMicros()).isEqualTo(1_200_000L);
        assertThat(invoice.totalMicros()).isEqualTo(617_284L + 500L + 1_200_000L);
        assertThat(invoice.currency()).isEqualTo("USD");
    }

    @Test
    void roundsTheTotalOnceNotEachEvent() {
        // 1000 events of 1 token at 0.50 per million: each would round to 0.000001, the total is 0.0005.
        Invoice invoice = Invoice.compute("acme", Invoice.Period.parse("2026-11"), PRO, Map.of("input_tokens", 1000L));

        assertThat(invoice.lines().get(0).amountMicros()).isEqualTo(500L);
    }

    @Test
    void unitsWithinTheIncludedOnesCostNothingAndUnusedMetersAreListed() {
        Invoice invoice = Invoice.compute("acme", Invoice.Period.parse("2026-11"), PRO, Map.of("requests", 999L, "bytes_out", 42L));

        assertThat(invoice.lines()).containsExactly(
                new Invoice.Line("bytes_out", 42, 0, 42, 0, 1, 0),
                new Invoice.Line("input_tokens", 0, 0, 0, 500_000_000L, 1_000_000, 0),
                new Invoice.Line("output_tokens", 0, 0, 0, 1_500_000_000L, 1_000_000, 0),
                new Invoice.Line("requests", 999, 1000, 0, 2_000_000L, 1, 0));
        assertThat(invoice.totalMicros()).isZero();
    }

    @Test
    void aPeriodMustMatchThePlansBillingPeriod() {
        assertThatThrownBy(() -> Invoice.compute("acme", Invoice.Period.parse("2026-11-21"), PRO, Map.of()))
                .hasMessage("plan pro bills by month, so its periods look like 2026-11, not 2026-11-21");
    }

    @Test
    void parsesMonthsAndDaysAsUtcRanges() {
        assertThat(Invoice.Period.parse("2026-02")).isEqualTo(new Invoice.Period("2026-02", "month", 1769904000000L, 1772323200000L));
        assertThat(Invoice.Period.parse("2026-11-21")).isEqualTo(new Invoice.Period("2026-11-21", "day", 1795219200000L, 1795305600000L));
        for (String bad : new String[] {"2026-13", "2026-1", "nov", "2026-11-31", ""}) {
            assertThatThrownBy(() -> Invoice.Period.parse(bad)).hasMessage("must be a month (2026-11) or a day (2026-11-21), not " + bad);
        }
    }

    @Property(tries = 2000)
    void everyLineEqualsTheExactDecimalChargeRoundedHalfUp(@ForAll @LongRange(min = 0, max = 10_000_000_000L) long units,
                                                            @ForAll @LongRange(min = 0, max = 2_000_000L) long included,
                                                            @ForAll @LongRange(min = 0, max = 100_000_000_000L) long unitPriceNanos,
                                                            @ForAll("pers") long per) {
        PlanDefined plan = PlanDefined.newBuilder().setPlan("p").setCurrency("EUR").setPeriod("day")
                .setMeters(Map.of("m", price(unitPriceNanos, per, included, null))).build();

        Invoice invoice = Invoice.compute("c", Invoice.Period.parse("2026-11-21"), plan, Map.of("m", units));

        String unitPrice = BigDecimal.valueOf(unitPriceNanos, 9).toPlainString();
        assertThat(invoice.lines().get(0).amountMicros()).isEqualTo(expectedMicros(units, included, unitPrice, per));
        assertThat(invoice.totalMicros()).isEqualTo(invoice.lines().get(0).amountMicros());
    }

    @Provide
    Arbitrary<Long> pers() {
        return Arbitraries.of(1L, 3L, 7L, 1000L, 1_000_000L, 999_983L);
    }
}
