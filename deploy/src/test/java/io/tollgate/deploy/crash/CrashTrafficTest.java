package io.tollgate.deploy.crash;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class CrashTrafficTest {
    static final List<String> CONSUMERS = List.of("acme", "globex", "initech");
    static final Instant NOT_BEFORE = Instant.parse("2026-11-21T10:00:00Z");

    @Test
    void deliversEveryCallOnceAndTwentyPercentOfThemTwice() {
        CrashTraffic traffic = CrashTraffic.generate(6_000, CONSUMERS, 7L, "run", NOT_BEFORE);

        assertThat(traffic.calls()).hasSize(6_000);
        assertThat(traffic.calls().stream().map(CrashTraffic.Call::id).distinct().count()).isEqualTo(6_000);
        Map<String, Integer> deliveries = new HashMap<>();
        traffic.batches().forEach(b -> b.calls().forEach(c -> deliveries.merge(c.id(), 1, Integer::sum)));
        assertThat(deliveries).hasSize(6_000);
        assertThat(deliveries.values().stream().filter(n -> n == 2).count()).isEqualTo(1_200);
        assertThat(deliveries.values()).allSatisfy(n -> assertThat(n).isBetween(1, 2));
        assertThat(traffic.deliveries()).isEqualTo(7_200);
        assertThat(traffic.duplicates()).isEqualTo(1_200);
    }

    @Test
    void aDuplicateIsADeliveryOfTheSameCallInAnotherBatchAfterTheOriginal() {
        CrashTraffic traffic = CrashTraffic.generate(3_000, CONSUMERS, 11L, "run", NOT_BEFORE);

        Set<String> seen = new HashSet<>();
        Map<String, CrashTraffic.Call> first = new HashMap<>();
        for (CrashTraffic.Batch batch : traffic.batches()) {
            assertThat(batch.calls().stream().map(CrashTraffic.Call::id).distinct().count()).as("ids within one batch").isEqualTo(batch.calls().size());
            long again = batch.calls().stream().filter(c -> !seen.add(c.id())).count();
            assertThat(again).as("duplicates counted in the batch").isEqualTo(batch.duplicates());
            batch.calls().forEach(c -> assertThat(first.computeIfAbsent(c.id(), id -> c)).isEqualTo(c));
        }
    }

    @Test
    void batchesStayWithinTheirPathsSizesAndBothPathsAreUsedForOriginalsAndDuplicates() {
        CrashTraffic traffic = CrashTraffic.generate(6_000, CONSUMERS, 7L, "run", NOT_BEFORE);

        assertThat(traffic.batches()).allSatisfy(b -> assertThat(b.calls().size())
                .isBetween(1, b.path() == CrashTraffic.Path.HTTP ? CrashTraffic.HTTP_BATCH : CrashTraffic.TOPIC_BATCH));
        assertThat(traffic.batches().stream().filter(b -> b.path() == CrashTraffic.Path.HTTP).mapToInt(b -> b.duplicates()).sum()).isPositive();
        assertThat(traffic.batches().stream().filter(b -> b.path() == CrashTraffic.Path.TOPIC).mapToInt(b -> b.duplicates()).sum()).isPositive();
        assertThat(traffic.batches().stream().filter(b -> b.path() == CrashTraffic.Path.HTTP).mapToInt(b -> b.calls().size() - b.duplicates()).sum())
                .isBetween(3_000, 4_200);
    }

    @Test
    void callsAreTimedInTheSecondAfterNotBeforeWithRequestsAndSometimesTokens() {
        CrashTraffic traffic = CrashTraffic.generate(1_000, CONSUMERS, 3L, "run", NOT_BEFORE);

        assertThat(traffic.calls()).allSatisfy(c -> {
            assertThat(c.time()).isBetween(NOT_BEFORE, NOT_BEFORE.plusMillis(999));
            assertThat(c.meters()).containsEntry(CrashTraffic.REQUESTS, 1L);
            assertThat(c.consumer()).isIn(CONSUMERS);
        });
        assertThat(traffic.calls().stream().filter(c -> c.meters().containsKey(CrashTraffic.INPUT_TOKENS)).count()).isBetween(300L, 500L);
        assertThat(traffic.calls().get(0).id()).isEqualTo("run-0");
    }

    @Test
    void theSameSeedGivesTheSameTraffic() {
        assertThat(CrashTraffic.generate(500, CONSUMERS, 5L, "run", NOT_BEFORE).batches())
                .isEqualTo(CrashTraffic.generate(500, CONSUMERS, 5L, "run", NOT_BEFORE).batches());
    }
}
