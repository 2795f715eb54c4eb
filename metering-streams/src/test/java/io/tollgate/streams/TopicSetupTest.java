package io.tollgate.streams;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicSetupTest {
    @Test
    void acceptsCoPartitionedTopicsWithEqualPartitionCounts() {
        assertThatCode(() -> TopicSetup.check(Map.of("a", 6, "b", 6, "c", 6, "d", 6), 4)).doesNotThrowAnyException();
    }

    @Test
    void refusesDifferentPartitionCountsAndNamesThem() {
        Map<String, Integer> partitions = new LinkedHashMap<>();
        partitions.put("usage.events", 6);
        partitions.put("billing.accounts", 3);
        partitions.put("billing.balances", 6);
        partitions.put("usage.hourly", 6);
        assertThatThrownBy(() -> TopicSetup.check(partitions, 4))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("refusing to start: co-partitioned topics differ in partition count {usage.events=6, billing.accounts=3, "
                        + "billing.balances=6, usage.hourly=6}; every topic keyed by consumer must have the same number of partitions");
    }

    @Test
    void refusesMissingTopicsWhenTheyAreNotCreated() {
        assertThatThrownBy(() -> TopicSetup.check(Map.of("usage.events", 6), 4))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("missing co-partitioned topics");
    }
}
