package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** A read model filled by hand: for tests, benchmarks and gateway checks that run without a broker. */
public final class InMemoryBalances implements BalanceReader {
    private final ConcurrentHashMap<String, BalanceView> balances = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public InMemoryBalances(LongSupplier clock) {
        this.clock = clock;
    }

    public InMemoryBalances() {
        this(System::currentTimeMillis);
    }

    /** Stores {@code balance} as if it had just been read from {@code billing.balances}. */
    public InMemoryBalances put(Balance balance) {
        balances.put(balance.getConsumer(), new BalanceView(balance, clock.getAsLong()));
        return this;
    }

    public void remove(String consumer) {
        balances.remove(consumer);
    }

    @Override
    public Optional<BalanceView> get(String consumer) {
        return Optional.ofNullable(balances.get(consumer));
    }
}
