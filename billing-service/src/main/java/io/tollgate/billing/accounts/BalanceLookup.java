package io.tollgate.billing.accounts;

import io.tollgate.avro.Balance;

import java.util.Optional;

/** Where GET balance reads from: the decision service's read model of billing.balances. */
@FunctionalInterface
public interface BalanceLookup {
    Optional<Balance> balanceOf(String consumer);
}
