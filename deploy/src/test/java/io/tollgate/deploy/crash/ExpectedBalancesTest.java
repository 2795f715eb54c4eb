package io.tollgate.deploy.crash;

import io.tollgate.deploy.pipeline.PlanMeter;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ExpectedBalancesTest {
    static final Map<String, PlanMeter> PLAN = Map.of(
            "requests", new PlanMeter("0.002", 1, 1_000),
            "input_tokens", new PlanMeter("0.50", 1_000_000, 0),
            "output_tokens", new PlanMeter("1.50", 1_000_000, 0));
    static final Instant T = Instant.parse("2026-11-21T10:00:00Z");

    @Test
    void chargesBillableUnitsOnceFromThePeriodTotalRoundedHalfUpToTheMicro() {
        PlanMeter input = PLAN.get("input_tokens");
        assertThat(input.chargeMicros(1)).as("0.5 micro rounds up").isEqualTo(1);
        assertThat(input.chargeMicros(3)).as("1.5 micro rounds up").isEqualTo(2);
        assertThat(input.chargeMicros(1_000_000)).isEqualTo(500_000);
        assertThat(PLAN.get("requests").chargeMicros(1_000)).as("all included").isZero();
        assertThat(PLAN.get("requests").chargeMicros(1_600)).as("600 billable x 0.002").isEqualTo(1_200_000);
    }

    @Test
    void sumsTheMetersOfEachConsumerAndSubtractsTheSpendFromTheCredits() {
        List<CrashTraffic.Call> calls = List.of(
                new CrashTraffic.Call("a", "acme", T, Map.of("requests", 1L, "input_tokens", 1_000L, "output_tokens", 300L)),
                new CrashTraffic.Call("b", "acme", T, Map.of("requests", 1L, "input_tokens", 2_001L, "output_tokens", 1L)),
                new CrashTraffic.Call("c", "globex", T, Map.of("requests", 1L)));

        Map<String, ExpectedBalances.Expected> expected = ExpectedBalances.of(calls, PLAN, Map.of("acme", 5_000_000L, "globex", 1_000_000L));

        assertThat(expected.get("acme").usage()).isEqualTo(Map.of("requests", 2L, "input_tokens", 3_001L, "output_tokens", 301L));
        // input 3001 x 0.50 / 1e6 = 1500.5 micros -> 1501; output 301 x 1.50 / 1e6 = 451.5 -> 452; requests included
        assertThat(expected.get("acme").spentMicros()).isEqualTo(1_501 + 452);
        assertThat(expected.get("acme").remainingMicros()).isEqualTo(5_000_000 - 1_953);
        assertThat(expected.get("globex").spentMicros()).isZero();
        assertThat(expected.get("globex").remainingMicros()).isEqualTo(1_000_000);
    }
}
