package io.tollgate.billing.decision;

import io.tollgate.schemas.money.Money;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FastChargeTest {

    @Property(tries = 3000)
    void chargesExactlyWhatMoneyCharges(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long billable,
                                        @ForAll @LongRange(min = 0, max = 1_000_000_000_000L) long unitPriceNanos,
                                        @ForAll @LongRange(min = 1, max = 1_000_000_000L) long per) {
        long expected;
        try {
            expected = Money.charge(billable, unitPriceNanos, per);
        } catch (ArithmeticException tooLarge) {
            return;
        }
        assertThat(FastCharge.charge(billable, unitPriceNanos, per)).isEqualTo(expected);
    }

    @Property
    void agreesOnTypicalPeriodTotals(@ForAll @LongRange(min = 0, max = 10_000_000_000L) long billable,
                                     @ForAll @LongRange(min = 0, max = 100_000_000_000L) long unitPriceNanos) {
        for (long per : new long[] {1, 1000, 1_000_000}) {
            assertThat(FastCharge.charge(billable, unitPriceNanos, per)).isEqualTo(Money.charge(billable, unitPriceNanos, per));
        }
    }

    @Test
    void roundsHalfUpLikeMoney() {
        assertThat(FastCharge.charge(333, 1_500_000_000, 1_000_000)).isEqualTo(500);
        assertThat(FastCharge.charge(1, 500, 1)).isEqualTo(1);
        assertThat(FastCharge.charge(1, 499, 1)).isZero();
        assertThat(FastCharge.charge(Long.MAX_VALUE / 2, 3, 1)).isEqualTo(Money.charge(Long.MAX_VALUE / 2, 3, 1));
    }
}
