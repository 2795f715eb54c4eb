package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;

import java.time.Instant;

/**
 * One consumer's balance as the local replica holds it: the Avro {@link Balance} from
 * {@code billing.balances}, when this process received it (epoch millis) and the partition it was read from
 * ({@code -1} when it did not come from the topic). {@code balance.getUpdatedAt()} is the {@code asOf} of every
 * decision made from it. The partition is also the consumer's partition of {@code usage.events}: the topics are
 * co-partitioned by consumer id, so it names whose progress the balance depends on.
 */
public record BalanceView(Balance balance, long receivedAtMillis, int partition) {
    public static final int NO_PARTITION = -1;

    public BalanceView(Balance balance, long receivedAtMillis) {
        this(balance, receivedAtMillis, NO_PARTITION);
    }

    public Instant receivedAt() {
        return Instant.ofEpochMilli(receivedAtMillis);
    }

    /** The time of the balance: {@code Balance.updatedAt}. */
    public Instant asOf() {
        return balance.getUpdatedAt();
    }
}
