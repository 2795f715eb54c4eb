package io.tollgate.billing.decision;

import io.tollgate.billing.decision.PartitionFreshness.PartitionOffsets;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-partition freshness on a fake clock with fake offsets of usage.events and of the streams application's group. */
class PartitionFreshnessTest {
    private static final long STALE_AFTER = 10_000;
    private static final long T0 = 1_000_000;

    private final PartitionFreshness freshness = new PartitionFreshness(STALE_AFTER);

    private static PartitionOffsets at(long end, long committed) {
        return new PartitionOffsets(0, end, committed);
    }

    @Test
    void aPartitionWhoseCountingStopsWhileEventsArriveGoesStaleAfterTheBoundAndTheOthersStayFresh() {
        freshness.update(T0, List.of(at(100, 100), at(50, 50)), 2);
        assertThat(freshness.stalenessMillis(0, T0)).isZero();

        // partition 0's streams instance dies at T0: its committed offset stays at 100 while events keep arriving
        for (long t = T0 + 1_000, end = 110; t <= T0 + 10_000; t += 1_000, end += 10) {
            freshness.update(t, List.of(at(end, 100), at(end - 50, end - 50)), 2);
        }
        long now = T0 + 10_000;
        assertThat(freshness.stalenessMillis(0, now)).isEqualTo(10_000);
        assertThat(freshness.isStale(0, now)).isFalse();
        assertThat(freshness.isStale(0, now + 1)).isTrue();
        assertThat(freshness.stalenessMillis(1, now)).isZero();
        assertThat(freshness.isStale(1, now + 1)).isFalse();
    }

    @Test
    void aPartitionWithNothingToCountStaysFreshThoughItsOffsetsNeverMove() {
        for (long t = T0; t <= T0 + 60_000; t += 1_000) {
            freshness.update(t, List.of(at(100, 100)), 1);
        }

        assertThat(freshness.stalenessMillis(0, T0 + 60_000)).isZero();
        assertThat(freshness.isStale(0, T0 + 60_000)).isFalse();
    }

    @Test
    void aBusyPartitionBeingCountedIsAsFreshAsTheNewestEndOffsetItsGroupReached() {
        // lag never reaches 0, but the group always reaches, within 2 s, the end offset seen 2 s before
        long[] ends = new long[61];
        for (int i = 0; i <= 60; i++) {
            ends[i] = 1_000L * i;
            long committed = i < 2 ? 0 : ends[i - 2];
            freshness.update(T0 + 1_000L * i, List.of(at(ends[i], committed)), 1);
        }

        assertThat(freshness.stalenessMillis(0, T0 + 60_000)).isEqualTo(2_000);
        assertThat(freshness.isStale(0, T0 + 60_000)).isFalse();
    }

    @Test
    void aGroupThatCatchesUpAgainIsFreshAsOfTheSampleItReached() {
        freshness.update(T0, List.of(at(10, 10)), 1);
        freshness.update(T0 + 1_000, List.of(at(20, 10)), 1);
        freshness.update(T0 + 2_000, List.of(at(30, 10)), 1);
        freshness.update(T0 + 20_000, List.of(at(40, 10)), 1);
        assertThat(freshness.isStale(0, T0 + 20_000)).isTrue();

        freshness.update(T0 + 21_000, List.of(at(45, 30)), 1);

        assertThat(freshness.stalenessMillis(0, T0 + 21_000)).isEqualTo(19_000);
        freshness.update(T0 + 22_000, List.of(at(45, 45)), 1);
        assertThat(freshness.stalenessMillis(0, T0 + 22_000)).isZero();
    }

    @Test
    void withoutUpdatesEveryPartitionsStalenessGrows() {
        freshness.update(T0, List.of(at(5, 5), at(7, 7)), 2);

        assertThat(freshness.isStale(0, T0 + STALE_AFTER + 1)).isTrue();
        assertThat(freshness.isStale(1, T0 + STALE_AFTER + 1)).isTrue();
    }

    @Test
    void aGroupWithoutCommittedOffsetsCountsFromTheLogStart() {
        freshness.update(T0, List.of(new PartitionOffsets(40, 40, -1), new PartitionOffsets(0, 3, -1)), 2);
        freshness.update(T0 + 11_000, List.of(new PartitionOffsets(40, 40, -1), new PartitionOffsets(0, 3, -1)), 2);

        assertThat(freshness.isStale(0, T0 + 11_000)).isFalse();
        assertThat(freshness.isStale(1, T0 + 11_000)).isTrue();
    }

    @Test
    void noTopicAndUnknownPartitionsAreNeverStale() {
        assertThat(freshness.isStale(0, T0)).isFalse();
        freshness.update(T0, List.of(), 0);
        assertThat(freshness.isStale(0, T0 + 60_000)).isFalse();
        assertThat(freshness.stalenessMillis(0, T0)).isEqualTo(-1);

        freshness.update(T0, List.of(at(1, 0)), 1);
        assertThat(freshness.isStale(BalanceView.NO_PARTITION, T0 + 60_000)).isFalse();
        assertThat(freshness.isStale(1, T0 + 60_000)).isFalse();
        assertThat(freshness.isStale(0, T0 + 60_000)).isTrue();
    }

    @Test
    void whenTheTopicsAreNotCoPartitionedEveryPartitionFollowsTheStalest() {
        freshness.update(T0, List.of(at(1, 1), at(1, 1), at(1, 1)), 6);
        freshness.update(T0 + 11_000, List.of(at(1, 1), at(9, 1), at(1, 1)), 6);
        freshness.update(T0 + 22_000, List.of(at(1, 1), at(9, 1), at(1, 1)), 6);

        assertThat(freshness.partitions()).isEqualTo(6);
        for (int p = 0; p < 6; p++) {
            assertThat(freshness.stalenessMillis(p, T0 + 22_000)).as("partition %d", p).isEqualTo(22_000);
            assertThat(freshness.isStale(p, T0 + 22_000)).isTrue();
        }
    }

    @Test
    void keepsTheOldestSampleWhenTooManyAccumulateSoTheStalenessIsNeverUnderstated() {
        int updates = PartitionFreshness.MAX_SAMPLES + 500;
        for (int i = 0; i < updates; i++) {
            freshness.update(T0 + 1_000L * i, List.of(at(10L + i, 10)), 1);
        }
        long now = T0 + 1_000L * updates;
        assertThat(freshness.stalenessMillis(0, now)).isEqualTo(now - T0);

        // samples 1 to 999 are kept, later ones only as the newest; the group reaches the end offset of update 1200,
        // a sample dropped for room: fresh as of the newest kept sample it reached, earlier than the truth
        freshness.update(now, List.of(at(10L + updates, 10 + 1200)), 1);

        assertThat(freshness.stalenessMillis(0, now)).isEqualTo(now - (T0 + 999_000)).isGreaterThan(now - (T0 + 1_200_000));
    }

    @Test
    void aConsumerWithoutABalanceIsPlacedAsKafkasDefaultPartitionerPlacesItsKey() {
        freshness.update(T0, List.of(at(0, 0), at(0, 0), at(0, 0), at(0, 0), at(0, 0), at(0, 0)), 6);

        for (String consumer : List.of("acme", "globex", "initech", "ümlaut-ω")) {
            int expected = Utils.toPositive(Utils.murmur2(consumer.getBytes(StandardCharsets.UTF_8))) % 6;
            assertThat(freshness.partitionOf(consumer)).as(consumer).isEqualTo(expected);
        }
        assertThat(new PartitionFreshness(1).partitionOf("acme")).isEqualTo(BalanceView.NO_PARTITION);
    }
}
