package io.tollgate.billing.decision;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OvershootTest {

    @Test
    void withHonestEstimatesOneInstanceNeverSpendsBeyondTheCredits() {
        OvershootSimulation.Result result = OvershootSimulation.run(new OvershootSimulation.Scenario(50, 2000, 100, 1, true));

        assertThat(result.allowedCalls()).isEqualTo(5_000);
        assertThat(result.spentMicros()).isEqualTo(OvershootSimulation.CREDITS_MICROS);
        assertThat(result.overshoot()).isZero();
    }

    @Test
    void onTheWallClockOneConsumerCallingAsFastAsItCanSpendsExactlyItsCredits() throws InterruptedException {
        OvershootSimulation.RealTimeResult result = OvershootSimulation.runRealTime(200, 100, true, 1);

        assertThat(result.allowedCalls()).isEqualTo(5_000);
        assertThat(result.overshoot()).isZero();
    }

    @Test
    void withoutLocalAdmissionsABurstRunsFarPastZero() {
        OvershootSimulation.Result result = OvershootSimulation.run(new OvershootSimulation.Scenario(50, 200, 100, 1, false));

        assertThat(result.overshoot()).isGreaterThan(1.0);
    }

    @Test
    void underDeclaredUsageOvershootsByAtMostWhatWasNotDeclared() {
        OvershootSimulation.Result result = OvershootSimulation.run(new OvershootSimulation.Scenario(50, 200, 100, 2, true));

        // every admitted call was priced at half its real cost, so the spend is at most twice the credits
        assertThat(result.overshoot()).isGreaterThan(0).isLessThanOrEqualTo(1.0);
    }
}
