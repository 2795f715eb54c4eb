package io.tollgate.billing.decision;

import io.tollgate.billing.decision.PartitionFreshness.PartitionOffsets;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static io.tollgate.billing.decision.TestBalances.NOW;
import static io.tollgate.billing.decision.TestBalances.prepaid;
import static org.assertj.core.api.Assertions.assertThat;

/** Decisions when the balances of one partition stop following its usage: the stale policy applies to that partition only. */
class PartitionStalenessDecisionTest {
    private static final long STALE_AFTER = 30_000;
    private final AtomicLong clock = new AtomicLong(NOW);
    private final Map<String, BalanceView> views = new HashMap<>();
    private final BalanceReader balances = consumer -> Optional.ofNullable(views.get(consumer));
    private final PartitionFreshness partitions = new PartitionFreshness(STALE_AFTER);
    private final Freshness freshness = Freshness.ALWAYS_FRESH.withPartitions(partitions);

    private DecisionService service(boolean failClosed) {
        return new DecisionService(balances, freshness, new DecisionService.Settings(false, failClosed, 300_000), clock::get);
    }

    private final long[] ends = {10, 10, 10, 10, 10, 10};
    private long lastUpdate = NOW - 1_000;

    /** Partition 2 of six is not counted after NOW while its events keep arriving; the others are; one update a second. */
    private void partitionTwoStopsMovingFor(long millis) {
        for (long t = lastUpdate + 1_000; t <= NOW + millis; t += 1_000) {
            List<PartitionOffsets> offsets = new ArrayList<>();
            for (int p = 0; p < 6; p++) {
                offsets.add(new PartitionOffsets(0, ends[p], p == 2 ? 10 : ends[p]));
                ends[p] += 5;
            }
            partitions.update(t, offsets, 6);
            lastUpdate = t;
        }
        clock.set(NOW + millis);
    }

    @Test
    void closedPolicyDeniesTheConsumersOfTheStalePartitionWithStaleBalanceAndDecidesTheOthers() {
        views.put("on-two", new BalanceView(prepaid("on-two", 1_000_000).build(), NOW, 2));
        views.put("on-three", new BalanceView(prepaid("on-three", 1_000_000).build(), NOW, 3));
        DecisionService service = service(true);

        partitionTwoStopsMovingFor(STALE_AFTER);
        assertThat(service.decide("on-two", Estimate.NONE).allowed()).isTrue();

        partitionTwoStopsMovingFor(STALE_AFTER + 1_000);
        DecisionService.Outcome stale = service.decide("on-two", Estimate.NONE);
        assertThat(stale.allowed()).isFalse();
        assertThat(stale.decision().reason()).isEqualTo(Reason.STALE_BALANCE);
        assertThat(stale.decision().remainingMicros()).isEqualTo(1_000_000);
        assertThat(stale.decision().detail()).contains("partition has not been counted");
        assertThat(service.decide("on-three", Estimate.NONE).allowed()).isTrue();
    }

    @Test
    void openPolicyKeepsDecidingFromTheLastKnownBalance() {
        views.put("on-two", new BalanceView(prepaid("on-two", 1_000_000).build(), NOW, 2));
        partitionTwoStopsMovingFor(STALE_AFTER + 1_000);

        assertThat(service(false).decide("on-two", Estimate.NONE).allowed()).isTrue();
    }

    @Test
    void aConsumerWithoutABalanceIsJudgedByThePartitionItsIdHashesTo() {
        partitionTwoStopsMovingFor(STALE_AFTER + 1_000);
        String onTwo = null;
        String elsewhere = null;
        for (int i = 0; onTwo == null || elsewhere == null; i++) {
            String candidate = "newcomer-" + i;
            if (partitions.partitionOf(candidate) == 2) {
                onTwo = onTwo == null ? candidate : onTwo;
            } else {
                elsewhere = elsewhere == null ? candidate : elsewhere;
            }
        }

        assertThat(service(true).decide(onTwo, Estimate.NONE).decision().reason()).isEqualTo(Reason.STALE_BALANCE);
        assertThat(service(true).decide(elsewhere, Estimate.NONE).decision().reason()).isEqualTo(Reason.UNKNOWN_CONSUMER);
    }
}
