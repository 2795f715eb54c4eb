package io.tollgate.billing.decision;

import io.tollgate.schemas.money.Money;

/**
 * {@code Money.charge} in {@code long} arithmetic when the product fits, falling back to {@code Money.charge}
 * (BigInteger) when it does not: the same result and rounding (half-up on the period total), without allocating
 * on the decision path. A charge beyond a {@code long} of micro-units is {@link #BEYOND_ANY_BALANCE}: more than any
 * balance holds, which the rules treat as such, never as a wrapped (negative) amount.
 */
final class FastCharge {
    /** A charge too large for a {@code long}: saturated, so that every comparison with a balance denies. */
    static final long BEYOND_ANY_BALANCE = Long.MAX_VALUE;

    private FastCharge() {
    }

    static long charge(long billable, long unitPriceNanos, long per) {
        if (billable <= 0 || unitPriceNanos <= 0 || per <= 0 || per > Long.MAX_VALUE / 1000) {
            return exact(billable, unitPriceNanos, per);
        }
        long numerator = billable * unitPriceNanos;
        if (Math.multiplyHigh(billable, unitPriceNanos) != 0 || numerator < 0) {
            return exact(billable, unitPriceNanos, per);
        }
        long denominator = per * 1000;
        long quotient = numerator / denominator;
        long remainder = numerator - quotient * denominator;
        return remainder >= denominator - remainder ? quotient + 1 : quotient;
    }

    private static long exact(long billable, long unitPriceNanos, long per) {
        try {
            return Money.charge(billable, unitPriceNanos, per);
        } catch (ArithmeticException beyondLong) {
            return BEYOND_ANY_BALANCE;
        }
    }
}
