package io.tollgate.billing.decision;

/**
 * Whether the balances decisions read can be trusted: {@link #isStale(long)} for the replica of
 * {@code billing.balances} as a whole, {@link #isPartitionStale} for the one partition a consumer's balance depends on.
 */
@FunctionalInterface
public interface Freshness {
    Freshness ALWAYS_FRESH = now -> false;

    /** The replica is too far behind {@code billing.balances}. */
    boolean isStale(long nowMillis);

    /**
     * The balances of {@code consumer}'s partition stopped following its usage (the streams instance counting that
     * partition is gone or stuck) beyond the configured bound. {@code partition} is the partition the consumer's balance
     * was read from, {@link BalanceView#NO_PARTITION} when it has none; then implementations may derive it from the id.
     * Called on the request path: no allocation, no I/O.
     */
    default boolean isPartitionStale(String consumer, int partition, long nowMillis) {
        return false;
    }

    /** This freshness for the replica as a whole, {@code partitions} for each partition. */
    default Freshness withPartitions(PartitionFreshness partitions) {
        Freshness whole = this;
        return new Freshness() {
            @Override
            public boolean isStale(long nowMillis) {
                return whole.isStale(nowMillis);
            }

            @Override
            public boolean isPartitionStale(String consumer, int partition, long nowMillis) {
                return partitions.isStale(partition >= 0 ? partition : partitions.partitionOf(consumer), nowMillis);
            }
        };
    }
}
