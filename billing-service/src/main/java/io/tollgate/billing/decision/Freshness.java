package io.tollgate.billing.decision;

/** Whether the balance replica is too far behind {@code billing.balances} to be trusted. */
@FunctionalInterface
public interface Freshness {
    Freshness ALWAYS_FRESH = now -> false;

    boolean isStale(long nowMillis);
}
