package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static io.tollgate.billing.decision.TestBalances.AS_OF;
import static io.tollgate.billing.decision.TestBalances.NOW;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPEC §6: a consumer Tollgate has no account for is {@code 403 unknown_consumer}, or allowed with
 * {@code tollgate.decision.unknown.consumer=allow}: before its first metered call (no balance at all) and after it
 * (a balance whose status is {@code unknown}, as metering-streams publishes for usage without an account).
 */
class UnknownConsumersTest {
    private final InMemoryBalances balances = new InMemoryBalances(() -> NOW);

    /** What metering-streams publishes for a consumer with usage and no ConsumerUpdated: status unknown, no plan, currency XXX. */
    private static Balance meteredWithoutAccount(String consumer) {
        Map<String, Long> usage = new HashMap<>(Map.of("requests", 3L));
        return Balance.newBuilder().setConsumer(consumer).setPlan(null).setStatus("unknown").setBilling("prepaid").setCurrency("XXX")
                .setPeriod("2026-11").setCreditsMicros(0).setSpentMicros(0).setRemainingMicros(0).setSpendLimitMicros(null)
                .setUsage(usage).setAmounts(new HashMap<>()).setMeters(new HashMap<>()).setVersion(3).setLastEventTime(AS_OF)
                .setUpdatedAt(AS_OF).build();
    }

    private DecisionService service(boolean allowUnknown) {
        return new DecisionService(balances, Freshness.ALWAYS_FRESH, new DecisionService.Settings(allowUnknown, false, 300_000L), () -> NOW);
    }

    @Test
    void byDefaultAConsumerWithUsageButNoAccountIs403UnknownConsumerNot402() {
        DecisionService service = service(false);
        DecisionService.Outcome before = service.decide("drifter", Estimate.NONE);
        balances.put(meteredWithoutAccount("drifter"));

        DecisionService.Outcome after = service.decide("drifter", Estimate.NONE);

        assertThat(before.decision().reason()).isEqualTo(Reason.UNKNOWN_CONSUMER);
        assertThat(after.decision()).isEqualTo(Decision.deny(Reason.UNKNOWN_CONSUMER, 0, "No account is known for consumer drifter."));
        assertThat(after.view()).as("no balance of an unknown consumer is shown").isNull();
        assertThat(after.decision().reason().status()).isEqualTo(403);
    }

    @Test
    void withUnknownConsumersAllowedItIsAllowedBeforeAndAfterItsFirstMeteredCall() {
        DecisionService service = service(true);
        DecisionService.Outcome before = service.decide("drifter", Estimate.NONE);
        balances.put(meteredWithoutAccount("drifter"));

        DecisionService.Outcome after = service.decide("drifter", Estimate.parseHeader("input_tokens=2000"));

        assertThat(before.allowed()).isTrue();
        assertThat(after.allowed()).isTrue();
        assertThat(after.decision()).isEqualTo(Decision.allow(0, 0));
        assertThat(service.pendingAdmissions("drifter")).isZero();
    }

    @Test
    void onceTheAccountExistsTheRulesApplyAgain() {
        DecisionService service = service(true);
        balances.put(TestBalances.prepaid("drifter", 0).build());

        assertThat(service.decide("drifter", Estimate.NONE).decision().reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
    }
}
