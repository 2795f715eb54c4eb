package io.tollgate.billing.decision;

import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Per partition of {@code usage.events}, the time up to which metering-streams has counted every event: the balances
 * of that partition's consumers are at least that fresh. Pure: the offsets and the clock come from the caller
 * ({@link StreamsProgressMonitor} every second).
 *
 * <p>How: each update records, per partition, the end offset of {@code usage.events} at that time (a sample T, E).
 * Once the streams application's committed offset reaches E, every event written before T is counted, and the
 * partition is fresh as of T. The staleness of a partition is now minus the time of the newest sample its committed
 * offset has reached. So a partition whose instance died goes stale while events wait in it; a partition with nothing
 * to count stays fresh; a busy partition that is being counted stays fresh however long its lag in records. A committed
 * offset below the log start (events deleted by retention, or no committed offset at all) counts as the log start.
 *
 * <p>Balances are published at most one flush interval after their events are committed, which this does not see:
 * the staleness is that of the counting, not of the publication. A partition first seen behind is measured from then.
 * When no update comes (Kafka unreachable), every partition's staleness grows. The topics are co-partitioned by
 * consumer id, so a consumer's balance partition is its usage partition; if their partition counts differ, each
 * partition is given the staleness of the stalest one.
 *
 * <p>{@link #isStale} is called on the request path: it reads one published array, no allocation.
 */
public final class PartitionFreshness {
    /** A partition of {@code usage.events}: first and end offsets (read committed), the group's committed offset or -1. */
    public record PartitionOffsets(long logStart, long end, long committed) {
    }

    private record Sample(long atMillis, long endOffset) {
    }

    static final int MAX_SAMPLES = 1_000;
    private final long staleAfterMillis;
    private final List<ArrayDeque<Sample>> pending = new ArrayList<>();
    private long[] freshAsOf = new long[0];
    /** Per partition, the time its counting is fresh as of; what decisions read. Replaced whole on each update. */
    private volatile long[] published = new long[0];

    public PartitionFreshness(long staleAfterMillis) {
        this.staleAfterMillis = staleAfterMillis;
    }

    /**
     * Records the offsets read at {@code nowMillis}, one entry per partition of {@code usage.events} in partition order
     * (none when the topic does not exist: nothing is then stale), for a {@code billing.balances} of
     * {@code balancePartitions} partitions. Single caller thread.
     */
    public void update(long nowMillis, List<PartitionOffsets> usagePartitions, int balancePartitions) {
        int partitions = usagePartitions.size();
        if (partitions != freshAsOf.length) {
            resize(partitions, nowMillis);
        }
        for (int p = 0; p < partitions; p++) {
            PartitionOffsets offsets = usagePartitions.get(p);
            ArrayDeque<Sample> samples = pending.get(p);
            Sample sample = new Sample(nowMillis, offsets.end());
            if (samples.size() >= MAX_SAMPLES) {
                // keep the oldest (it sets the staleness) and the newest; dropping those between only overstates it
                samples.pollLast();
            }
            samples.addLast(sample);
            long counted = Math.max(offsets.committed(), offsets.logStart());
            Sample head;
            while ((head = samples.peekFirst()) != null && head.endOffset() <= counted) {
                freshAsOf[p] = head.atMillis();
                samples.pollFirst();
            }
        }
        publish(balancePartitions);
    }

    private void resize(int partitions, long nowMillis) {
        long[] resized = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            resized[p] = p < freshAsOf.length ? freshAsOf[p] : nowMillis;
            if (p >= pending.size()) {
                pending.add(new ArrayDeque<>());
            }
        }
        while (pending.size() > partitions) {
            pending.remove(pending.size() - 1);
        }
        freshAsOf = resized;
    }

    private void publish(int balancePartitions) {
        if (balancePartitions == freshAsOf.length || freshAsOf.length == 0) {
            published = freshAsOf.clone();
            return;
        }
        long stalest = Long.MAX_VALUE;
        for (long asOf : freshAsOf) {
            stalest = Math.min(stalest, asOf);
        }
        long[] everywhere = new long[Math.max(balancePartitions, freshAsOf.length)];
        java.util.Arrays.fill(everywhere, stalest);
        published = everywhere;
    }

    /** The balances of {@code partition} are behind their usage for longer than the bound. False for an unknown partition. */
    public boolean isStale(int partition, long nowMillis) {
        long[] asOf = published;
        return partition >= 0 && partition < asOf.length && nowMillis - asOf[partition] > staleAfterMillis;
    }

    /** Milliseconds the counting of {@code partition} is behind, or -1 for a partition not seen (yet). */
    public long stalenessMillis(int partition, long nowMillis) {
        long[] asOf = published;
        return partition >= 0 && partition < asOf.length ? Math.max(0, nowMillis - asOf[partition]) : -1;
    }

    /** Partitions seen in the last update (of {@code usage.events}, or more when the counts differ). */
    public int partitions() {
        return published.length;
    }

    /** The partition of {@code consumer}'s records, as Kafka's default partitioner places a string key. */
    public int partitionOf(String consumer) {
        int partitions = published.length;
        if (partitions == 0 || consumer == null) {
            return BalanceView.NO_PARTITION;
        }
        return Utils.toPositive(Utils.murmur2(consumer.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
