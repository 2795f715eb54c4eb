package io.tollgate.deploy.crash;

import org.junit.jupiter.api.Test;

import static io.tollgate.deploy.crash.CrashPlan.Fault.KILL_INGEST;
import static io.tollgate.deploy.crash.CrashPlan.Fault.KILL_STREAMS;
import static io.tollgate.deploy.crash.CrashPlan.Fault.RESTART_BROKER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CrashPlanTest {
    @Test
    void theDefaultRunKillsStreamsTwiceIngestOnceAndRestartsTheBrokerBetweenThem() {
        assertThat(new CrashPlan(6_000, 2, 1, 1, 1L).faults()).containsExactly(KILL_STREAMS, KILL_INGEST, KILL_STREAMS, RESTART_BROKER);
    }

    @Test
    void theFullRunKillsStreamsFourTimes() {
        assertThat(new CrashPlan(40_000, 4, 1, 1, 1L).faults())
                .containsExactly(KILL_STREAMS, KILL_INGEST, KILL_STREAMS, RESTART_BROKER, KILL_STREAMS, KILL_STREAMS);
    }

    @Test
    void withoutStreamsKillsTheOtherFaultsStillStrike() {
        assertThat(new CrashPlan(1_000, 0, 1, 1, 1L).faults()).containsExactly(KILL_INGEST, RESTART_BROKER);
    }

    @Test
    void refusesTooFewEventsAndNegativeCounts() {
        assertThatThrownBy(() -> new CrashPlan(10, 2, 1, 1, 1L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CrashPlan(1_000, -1, 1, 1, 1L)).isInstanceOf(IllegalArgumentException.class);
    }
}
