package io.tollgate.billing.accounts;

import io.tollgate.avro.AccountEvent;

/**
 * The write side of billing.accounts. {@link #append} returns only once the broker has acknowledged the
 * record (every copy of it, for a plan).
 */
public interface AccountsLog extends AutoCloseable {
    /**
     * Appends {@code event}: a {@code PlanDefined} once to every partition, keyed by plan id, so that every
     * partition of the streams application sees every plan; anything else keyed by consumer id.
     *
     * @return where the record landed (for a plan, its copy in partition 0)
     */
    AccountsState.Position append(AccountEvent event) throws AccountsLogException;

    @Override
    void close();

    /** The log could not take the write (broker down, timeout): answered as 503, the write may be retried. */
    final class AccountsLogException extends Exception {
        public AccountsLogException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
