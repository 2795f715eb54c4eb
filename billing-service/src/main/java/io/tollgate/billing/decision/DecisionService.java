package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Decides one call for one consumer from the local replica, counting what this instance admitted that the
 * consumer's latest balance has not counted yet ({@link LocalAdmissions}, settled by {@code Balance.eventsCounted}),
 * so that calls in flight cannot spend more than the balance shows. Memory only; safe to call from every event loop at
 * once (per-consumer lock).
 */
public final class DecisionService {
    private final BalanceReader balances;
    private final Freshness freshness;
    private final Settings settings;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, LocalAdmissions> admissions = new ConcurrentHashMap<>();
    private volatile CurrentPeriods periods;
    private volatile long periodsValidUntil;

    /**
     * @param allowUnknownConsumers allow (200) a consumer without a balance, or whose balance has no account (status
     *                              {@code unknown}), instead of 403 {@code unknown_consumer}
     * @param failClosedWhenStale   deny (403 {@code stale_balance}) while the replica, or the consumer's partition, is
     *                              stale instead of deciding from the last known balance
     * @param admissionTtlMillis    how long an admission counts when no balance ever counts its event
     */
    public record Settings(boolean allowUnknownConsumers, boolean failClosedWhenStale, long admissionTtlMillis) {
        public static Settings defaults() {
            return new Settings(false, false, 300_000L);
        }
    }

    /** A decision and the balance it used ({@code view} null for a consumer without one). */
    public record Outcome(String consumer, BalanceView view, Decision decision) {
        public boolean allowed() {
            return decision.allowed();
        }
    }

    public DecisionService(BalanceReader balances, Freshness freshness, Settings settings, LongSupplier clock) {
        this.balances = balances;
        this.freshness = freshness;
        this.settings = settings;
        this.clock = clock;
    }

    public Outcome decide(String consumer, Estimate estimate) {
        long now = clock.getAsLong();
        BalanceView view = balances.get(consumer).orElse(null);
        if (settings.failClosedWhenStale()) {
            if (freshness.isStale(now)) {
                return new Outcome(consumer, view, Decision.deny(Reason.STALE_BALANCE,
                        view == null ? 0 : view.balance().getRemainingMicros(),
                        "The balance replica is behind billing.balances beyond the configured bound; decisions fail closed."));
            }
            if (freshness.isPartitionStale(consumer, view == null ? BalanceView.NO_PARTITION : view.partition(), now)) {
                return new Outcome(consumer, view, Decision.deny(Reason.STALE_BALANCE,
                        view == null ? 0 : view.balance().getRemainingMicros(),
                        "The usage of this consumer's partition has not been counted into its balance for longer than the "
                                + "configured bound (a metering-streams instance may be down); decisions fail closed."));
            }
        }
        if (view == null) {
            return new Outcome(consumer, null, settings.allowUnknownConsumers()
                    ? Decision.allow(0, 0)
                    : Decision.deny(Reason.UNKNOWN_CONSUMER, 0, "No balance is known for consumer " + consumer + "."));
        }
        if (DecisionRules.isUnknown(view.balance())) {
            // metered usage but no account: the same answer as no balance at all, before and after its first call
            return new Outcome(consumer, null, settings.allowUnknownConsumers()
                    ? Decision.allow(0, 0)
                    : Decision.deny(Reason.UNKNOWN_CONSUMER, 0, DecisionRules.unknownDetail(consumer)));
        }
        LocalAdmissions admitted = admissionsOf(consumer);
        Decision decision;
        CurrentPeriods periods = periodsAt(now);
        synchronized (admitted) {
            // Read again under the lock: decisions then see this consumer's balances in the order they arrived, so a
            // balance read earlier by another thread cannot come after a newer one and settle its count twice.
            view = balances.get(consumer).orElse(view);
            Balance balance = view.balance();
            admitted.settle(balance.getEventsCounted(), balance.getUpdatedAt().toEpochMilli(), now - settings.admissionTtlMillis());
            try {
                admitted.price(balance, periods);
                decision = DecisionRules.decide(balance, estimate, admitted, periods);
                if (decision.allowed()) {
                    admitted.admit(now, estimate.effective());
                }
            } catch (ArithmeticException e) {
                decision = Decision.deny(Reason.QUOTA_EXCEEDED, 0, "The units admitted for " + consumer
                        + " and not yet counted, with this call's, pass what a meter can count.");
            }
        }
        return new Outcome(consumer, view, decision);
    }

    /** Admissions whose events no balance has counted yet, for one consumer (tests and metrics). */
    public int pendingAdmissions(String consumer) {
        LocalAdmissions admitted = admissions.get(consumer);
        if (admitted == null) {
            return 0;
        }
        synchronized (admitted) {
            return admitted.size();
        }
    }

    private LocalAdmissions admissionsOf(String consumer) {
        LocalAdmissions admitted = admissions.get(consumer);
        if (admitted == null) {
            LocalAdmissions created = new LocalAdmissions();
            admitted = admissions.putIfAbsent(consumer, created);
            if (admitted == null) {
                admitted = created;
            }
        }
        return admitted;
    }

    private CurrentPeriods periodsAt(long now) {
        CurrentPeriods current = periods;
        if (current == null || now >= periodsValidUntil || now < periodsValidUntil - 1_000) {
            current = CurrentPeriods.at(now);
            periods = current;
            periodsValidUntil = now - Math.floorMod(now, 1_000L) + 1_000;
        }
        return current;
    }
}
