package io.tollgate.billing.decision;

import java.util.Optional;

/**
 * Read access to the local replica of {@code billing.balances}. Answers from memory, never over the network:
 * it is called on the request path of every decision.
 */
@FunctionalInterface
public interface BalanceReader {

    /** The latest balance received for {@code consumer}, or empty when none was ever received (or it was deleted). */
    Optional<BalanceView> get(String consumer);
}
