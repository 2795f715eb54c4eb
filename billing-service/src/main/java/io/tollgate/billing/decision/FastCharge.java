package io.tollgate.billing.decision;

import io.tollgate.schemas.money.Money;

/**
 * {@code Money.charge} in {@code long} arithmetic when the product fits, falling back to {@code Money.charge}
 * (BigInteger) when it does not: the same result and rounding (half-up on the period total), without allocating
 * on the decision path.
 */
final class FastCharge {
    private FastCharge() {
    }

    static long charge(long billable, long unitPriceNanos, long per) {
        if (billable <= 0 || unitPriceNanos <= 0 || per <= 0 || per > Long.MAX_VALUE / 1000) {
            return Money.charge(billable, unitPriceNanos, per);
        }
        long numerator = billable * unitPriceNanos;
        if (Math.multiplyHigh(billable, unitPriceNanos) != 0 || numerator < 0) {
            return Money.charge(billable, unitPriceNanos, per);
        }
        long denominator = per * 1000;
        long quotient = numerator / denominator;
        long remainder = numerator - quotient * denominator;
        return remainder >= denominator - remainder ? quotient + 1 : quotient;
    }
}
