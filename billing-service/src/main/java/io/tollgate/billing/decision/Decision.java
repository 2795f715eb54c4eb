package io.tollgate.billing.decision;

/**
 * The outcome of {@link DecisionRules}: allowed when {@code reason} is null. {@code remainingMicros} is what the
 * consumer has left as this instance sees it (balance minus local admissions), after this call's estimated cost
 * when allowed. {@code detail} is a sentence for the problem body of a deny, null when allowed.
 */
public record Decision(Reason reason, long remainingMicros, long costMicros, String detail) {

    public static Decision allow(long remainingMicros, long costMicros) {
        return new Decision(null, remainingMicros, costMicros, null);
    }

    public static Decision deny(Reason reason, long remainingMicros, String detail) {
        return new Decision(reason, remainingMicros, 0, detail);
    }

    public boolean allowed() {
        return reason == null;
    }
}
