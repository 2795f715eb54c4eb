package io.tollgate.billing.decision;

import io.tollgate.billing.decision.OvershootSimulation.Result;
import io.tollgate.billing.decision.OvershootSimulation.Scenario;
import io.tollgate.billing.decision.OvershootSimulation.Settlement;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Locks the figures of the README's overshoot table ({@link OvershootSimulation}, deterministic). */
class OvershootTest {
    private static final List<Scenario> SCENARIOS = OvershootSimulation.scenarios();

    private static Result run(int row, Settlement settlement) {
        return OvershootSimulation.run(SCENARIOS.get(row), settlement);
    }

    @Test
    void oneInstanceWithHonestEstimatesSpendsExactlyTheCreditsGrantedWhateverTheOrderPathsAndTopUps() {
        assertThat(run(0, Settlement.COUNTED)).isEqualTo(new Result(1_000_000, 1_000, 1_000_000, 1));
        assertThat(run(1, Settlement.COUNTED)).isEqualTo(new Result(1_000_000, 1_000, 1_000_000, 1));
        assertThat(run(2, Settlement.COUNTED)).isEqualTo(new Result(2_000_000, 2_000, 2_000_000, 1));
    }

    @Test
    void aPriceRiseInFlightRepricesTheCallsInFlightAndNeverOverspends() {
        Result rise = run(3, Settlement.COUNTED);

        assertThat(rise.allowedCalls()).isEqualTo(1_333);
        assertThat(rise.spentMicros()).as("1,333 calls at 0.0015: the next would pass the credits").isEqualTo(1_999_500);
    }

    @Test
    void llmCallsSpendAtMostTheCreditsWhenTheyUseNoMoreThanTheyDeclare() {
        assertThat(run(4, Settlement.COUNTED)).isEqualTo(new Result(2_000_000, 989, 1_997_130, 1));
        assertThat(run(5, Settlement.COUNTED)).isEqualTo(new Result(2_000_000, 1_306, 1_978_678, 1));
    }

    @Test
    void underDeclaredUsageOverspendsByNoMoreThanTheUndeclaredCostOfTheCallsInFlight() {
        Result twice = run(6, Settlement.COUNTED);

        assertThat(twice).isEqualTo(new Result(2_000_000, 702, 2_177_378, 259_082));
        assertThat(twice.overspendMicros()).isPositive().isLessThanOrEqualTo(twice.boundMicros());
    }

    @Test
    void severalInstancesSharingAConsumerStayWithinNMinusOneTimesTheCreditsGranted() {
        Result two = run(7, Settlement.COUNTED);
        Result four = run(8, Settlement.COUNTED);

        assertThat(two).isEqualTo(new Result(2_000_000, 3_720, 3_720_000, 2_000_002));
        assertThat(four).isEqualTo(new Result(2_000_000, 4_492, 4_492_000, 6_000_004));
        assertThat(two.overspendMicros()).isLessThanOrEqualTo(two.boundMicros());
        assertThat(four.overspendMicros()).isLessThanOrEqualTo(four.boundMicros());
    }

    @Test
    void instancesThatEachDecideForTheirOwnConsumersAreExactAgain() {
        assertThat(run(9, Settlement.COUNTED)).isEqualTo(new Result(2_000_000, 2_000, 2_000_000, 4));
    }

    @Test
    void settlingByEventTimeAsBeforeOverspendsWithSeveralPathsAndTopUps() {
        assertThat(run(1, Settlement.EVENT_TIME).allowedCalls()).isEqualTo(1_492);
        assertThat(run(2, Settlement.EVENT_TIME).allowedCalls()).isEqualTo(2_778);
        assertThat(run(3, Settlement.EVENT_TIME).spentMicros()).isEqualTo(2_388_000);
    }

    @Test
    void withoutAdmissionsTheCallsInFlightRunFarPastTheCredits() {
        assertThat(run(1, Settlement.NONE).overshoot()).isGreaterThan(2.0);
    }

    @Test
    void onTheWallClockFourThreadsCallingAsFastAsTheyCanSpendExactlyTheCreditsGranted() throws InterruptedException {
        OvershootSimulation.RealTimeResult result = OvershootSimulation.runRealTime(4, 200, 100, OvershootSimulation.ONE_DOLLAR, 1);

        assertThat(result.grantedMicros()).isEqualTo(2_000_000);
        assertThat(result.allowedCalls()).isEqualTo(2_000);
        assertThat(result.spentMicros()).isEqualTo(2_000_000);
    }
}
