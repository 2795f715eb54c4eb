package io.tollgate.billing.decision;

/**
 * Addition and subtraction of units and micro-units that stop at the ends of {@code long} instead of wrapping: a sum
 * too large to hold is "more than any balance", never a negative number. Every money and unit sum of a decision
 * goes through here ({@link Math#addExact} would throw, and a decision must answer).
 */
final class Saturating {
    private Saturating() {
    }

    static long add(long a, long b) {
        long sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    static long subtract(long a, long b) {
        long difference = a - b;
        if (((a ^ b) & (a ^ difference)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return difference;
    }
}
