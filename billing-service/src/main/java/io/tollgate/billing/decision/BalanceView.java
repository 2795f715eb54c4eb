package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;

import java.time.Instant;

/**
 * One consumer's balance as the local replica holds it: the Avro {@link Balance} from
 * {@code billing.balances} and when this process received it (epoch millis). {@code balance.getUpdatedAt()}
 * is the {@code asOf} of every decision made from it.
 */
public record BalanceView(Balance balance, long receivedAtMillis) {

    public Instant receivedAt() {
        return Instant.ofEpochMilli(receivedAtMillis);
    }

    /** The time of the balance: {@code Balance.updatedAt}. */
    public Instant asOf() {
        return balance.getUpdatedAt();
    }
}
