package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.tollgate.billing.decision.TestBalances.NOVEMBER;
import static io.tollgate.billing.decision.TestBalances.postpaid;
import static io.tollgate.billing.decision.TestBalances.prepaid;
import static io.tollgate.billing.decision.TestBalances.withUsage;
import static org.assertj.core.api.Assertions.assertThat;

class DecisionRulesTest {

    private static Decision decide(Balance.Builder balance, String estimate) {
        return DecisionRules.decide(balance.build(), Estimate.parseHeader(estimate), Admitted.NOTHING, NOVEMBER);
    }

    @Test
    void allowsPrepaidWithCreditsAndReportsWhatRemainsAfterTheCall() {
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "requests", 1600), null);

        assertThat(decision).isEqualTo(Decision.allow(24_998_000, 2_000));
    }

    @Test
    void aCallWithinTheIncludedUnitsCostsNothing() {
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "requests", 10), null);

        assertThat(decision).isEqualTo(Decision.allow(25_000_000, 0));
    }

    @Test
    void pricesOnlyTheUnitsBeyondTheIncludedOnes() {
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "requests", 999), "requests=2");

        assertThat(decision.costMicros()).isEqualTo(2_000);
    }

    @Test
    void pricesTheEstimateOnPeriodTotalsWithTheOneRoundingRule() {
        // 333 output tokens cost 499.5 -> 500 micros; 334 cost exactly 501: the call adds 1 micro, not 1.5 rounded alone.
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "output_tokens", 333), "output_tokens=1");

        assertThat(decision.costMicros()).isEqualTo(1);
    }

    @Test
    void deniesASubscriptionThatIsNotActive() {
        Decision decision = decide(prepaid("acme", 25_000_000).setStatus("suspended"), null);

        assertThat(decision).isEqualTo(Decision.deny(Reason.SUBSCRIPTION_INACTIVE, 25_000_000, "The subscription of acme is suspended."));
    }

    @Test
    void aBalanceWithoutAnAccountIsAnUnknownConsumerNotAnInactiveSubscription() {
        Decision decision = decide(prepaid("drifter", 0).setStatus("unknown").setPlan(null).setCurrency("XXX"), null);

        assertThat(decision).isEqualTo(Decision.deny(Reason.UNKNOWN_CONSUMER, 0, "No account is known for consumer drifter."));
        assertThat(Reason.UNKNOWN_CONSUMER.status()).isEqualTo(403);
    }

    @Test
    void anEstimateWithinTheBoundIsPricedExactlyAndDenied() {
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "requests", 1600), "requests=1000000000000");

        // 10^12 more requests at 0.002 (all beyond the 1000 included): 2,000,000,000.00 USD
        assertThat(decision).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, 25_000_000,
                "This call is estimated at 2000000000.00 USD but only 25.00 USD remain."));
    }

    @Test
    void aCostBeyondALongIsMoreThanAnyBalanceNeverAWrappedOrThrownAmount() {
        Balance.Builder luxury = prepaid("acme", Long.MAX_VALUE - 1).setMeters(Map.of("gold",
                io.tollgate.avro.MeterPrice.newBuilder().setUnitPriceNanos(Long.MAX_VALUE).setPer(1).setIncluded(0).setHardLimit(null).build()));

        Decision decision = decide(luxury, "gold=1000000000000");

        assertThat(decision.reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
        assertThat(decision.remainingMicros()).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(decision.detail()).isEqualTo("This call is estimated at more than any balance can hold; only 9223372036854.775806 USD remain.");
    }

    @Test
    void aPostpaidConsumerWithoutLimitIsAllowedAtASaturatedNeverNegativeCost() {
        Balance.Builder unlimited = postpaid("open", 0, null).setMeters(Map.of("gold",
                io.tollgate.avro.MeterPrice.newBuilder().setUnitPriceNanos(Long.MAX_VALUE).setPer(1).setIncluded(0).setHardLimit(null).build()));

        Decision decision = decide(unlimited, "gold=1000000000000");

        assertThat(decision).isEqualTo(Decision.allow(0, Long.MAX_VALUE));
    }

    @Test
    void admittedUnitsNearTheEndOfALongStillHitTheHardLimit() {
        Decision decision = DecisionRules.decide(prepaid("acme", 25_000_000).build(), Estimate.parseHeader("output_tokens=10"),
                new TestBalances.FixedAdmitted(0, Map.of("output_tokens", Long.MAX_VALUE - 3)), NOVEMBER);

        assertThat(decision.reason()).isEqualTo(Reason.QUOTA_EXCEEDED);
    }

    @Test
    void admittedMicrosBeyondTheBalanceNeverWrapIntoCredit() {
        Decision decision = DecisionRules.decide(prepaid("acme", -5).build(), Estimate.NONE,
                new TestBalances.FixedAdmitted(Long.MAX_VALUE, Map.of()), NOVEMBER);

        assertThat(decision).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, Long.MIN_VALUE, "No credits remain."));
    }

    @Test
    void deniesPrepaidWithNothingRemainingEvenForAnIncludedCall() {
        Decision decision = decide(prepaid("broke", 0), null);

        assertThat(decision).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, 0, "No credits remain."));
    }

    @Test
    void deniesPrepaidWithOverspentCredits() {
        Decision decision = decide(prepaid("broke", -1_500), null);

        assertThat(decision).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, -1_500, "No credits remain."));
    }

    @Test
    void deniesPrepaidWithLessThanTheCallsEstimate() {
        Decision decision = decide(prepaid("acme", 500_000), "input_tokens=2000000");

        assertThat(decision).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, 500_000,
                "This call is estimated at 1.00 USD but only 0.50 USD remain."));
    }

    @Test
    void allowsAnEstimateThatUsesExactlyWhatRemains() {
        Decision decision = decide(prepaid("acme", 1_000_000), "input_tokens=2000000");

        assertThat(decision).isEqualTo(Decision.allow(0, 1_000_000));
    }

    @Test
    void deniesAnEstimateThatWouldPassTheHardLimit() {
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "output_tokens", 4_999_900), "output_tokens=200");

        assertThat(decision).isEqualTo(Decision.deny(Reason.QUOTA_EXCEEDED, 25_000_000,
                "Meter output_tokens has used 4999900 of its 5000000 units this period and this call declares 200."));
    }

    @Test
    void deniesAMeterAlreadyPastItsHardLimitWhateverTheEstimate() {
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "output_tokens", 5_000_001), "input_tokens=10");

        assertThat(decision).isEqualTo(Decision.deny(Reason.QUOTA_EXCEEDED, 25_000_000,
                "Meter output_tokens has used 5000001 of its 5000000 units this period."));
    }

    @Test
    void allowsAMeterExactlyAtItsHardLimitWhenTheCallDeclaresNoneOfIt() {
        Decision decision = decide(withUsage(prepaid("acme", 25_000_000), "output_tokens", 5_000_000), "input_tokens=10");

        assertThat(decision.allowed()).isTrue();
    }

    @Test
    void reportsTheQuotaBeforeTheMoney() {
        Decision decision = decide(withUsage(prepaid("broke", 0), "output_tokens", 5_000_000), "output_tokens=1");

        assertThat(decision.reason()).isEqualTo(Reason.QUOTA_EXCEEDED);
    }

    @Test
    void neverDeniesPostpaidWithoutASpendLimitForMoney() {
        Decision decision = decide(postpaid("big", 900_000_000_000L, null), "input_tokens=100000000");

        assertThat(decision).isEqualTo(Decision.allow(0, 50_000_000));
    }

    @Test
    void deniesPostpaidThatReachedItsSpendLimit() {
        Decision decision = decide(postpaid("capped", 500_000_000, 500_000_000L), null);

        assertThat(decision).isEqualTo(Decision.deny(Reason.SPEND_LIMIT_REACHED, 0, "The spend limit of this period is reached."));
    }

    @Test
    void deniesPostpaidWhoseEstimateWouldPassTheSpendLimit() {
        Decision decision = decide(postpaid("capped", 499_500_000, 500_000_000L), "input_tokens=2000000");

        assertThat(decision).isEqualTo(Decision.deny(Reason.SPEND_LIMIT_REACHED, 500_000,
                "This call is estimated at 1.00 USD but only 0.50 USD remain under the spend limit."));
    }

    @Test
    void allowsPostpaidUnderItsSpendLimit() {
        Decision decision = decide(postpaid("capped", 100_000_000, 500_000_000L), "input_tokens=2000000");

        assertThat(decision).isEqualTo(Decision.allow(399_000_000, 1_000_000));
    }

    @Test
    void countsWhatThisInstanceAdmittedAgainstTheCredits() {
        Decision decision = DecisionRules.decide(withUsage(prepaid("acme", 1_000_000), "requests", 5000).build(), Estimate.NONE,
                new TestBalances.FixedAdmitted(999_000, Map.of("requests", 499L)), NOVEMBER);

        assertThat(decision).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, 1_000,
                "This call is estimated at 0.002 USD but only 0.001 USD remain."));
    }

    @Test
    void countsWhatThisInstanceAdmittedAgainstTheHardLimit() {
        Decision decision = DecisionRules.decide(withUsage(prepaid("acme", 25_000_000), "output_tokens", 4_000_000).build(),
                Estimate.parseHeader("output_tokens=1"), new TestBalances.FixedAdmitted(1_500_000, Map.of("output_tokens", 1_000_000L)), NOVEMBER);

        assertThat(decision.reason()).isEqualTo(Reason.QUOTA_EXCEEDED);
    }

    @Test
    void aBalanceOfAnEndedPeriodCountsNoUsageAndNoSpend() {
        Balance.Builder october = withUsage(withUsage(postpaid("capped", 500_000_000, 500_000_000L), "requests", 5000),
                "output_tokens", 5_000_000).setPeriod("2026-10");

        Decision decision = decide(october, "output_tokens=1");

        assertThat(decision).isEqualTo(Decision.allow(500_000_000 - 2, 2));
    }

    @Test
    void aDailyPeriodEndsAtMidnightUtc() {
        Balance.Builder yesterday = withUsage(prepaid("acme", 25_000_000), "output_tokens", 5_000_000).setPeriod("2026-11-20");
        Balance.Builder today = withUsage(prepaid("acme", 25_000_000), "output_tokens", 5_000_000).setPeriod("2026-11-21");

        assertThat(decide(yesterday, "output_tokens=1").allowed()).isTrue();
        assertThat(decide(today, "output_tokens=1").reason()).isEqualTo(Reason.QUOTA_EXCEEDED);
    }

    @Test
    void ignoresEstimatedMetersThePlanDoesNotPrice() {
        Decision decision = decide(prepaid("acme", 1), "images=40");

        assertThat(decision).isEqualTo(Decision.allow(1, 0));
    }
}
