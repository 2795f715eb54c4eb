package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import static io.tollgate.billing.decision.TestBalances.NOW;
import static io.tollgate.billing.decision.TestBalances.prepaid;
import static io.tollgate.billing.decision.TestBalances.withUsage;
import static org.assertj.core.api.Assertions.assertThat;

class DecisionServiceTest {
    private static final long TWO_TENTHS_OF_A_CENT = 2_000;

    private final AtomicLong clock = new AtomicLong(NOW);
    private final InMemoryBalances balances = new InMemoryBalances(clock::get);

    private DecisionService service(DecisionService.Settings settings, Freshness freshness) {
        return new DecisionService(balances, freshness, settings, clock::get);
    }

    private DecisionService service() {
        return service(DecisionService.Settings.defaults(), Freshness.ALWAYS_FRESH);
    }

    /** Each call costs 0.002 (past the 1000 included requests). */
    private static Balance.Builder pastIncluded(String consumer, long remainingMicros) {
        return withUsage(prepaid(consumer, remainingMicros), "requests", 2000);
    }

    @Test
    void aBurstBetweenTwoBalanceUpdatesSpendsNoMoreThanTheBalance() {
        balances.put(pastIncluded("acme", 5 * TWO_TENTHS_OF_A_CENT).build());
        DecisionService service = service();

        List<Boolean> allowed = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            clock.incrementAndGet();
            allowed.add(service.decide("acme", Estimate.NONE).allowed());
        }

        assertThat(allowed).containsExactly(true, true, true, true, true, false, false, false);
        assertThat(service.pendingAdmissions("acme")).isEqualTo(5);
    }

    /** The balance after streams counted {@code events} more events of one request each, past the included ones. */
    private static Balance.Builder counted(Balance previous, long events) {
        long requests = previous.getUsage().getOrDefault("requests", 0L) + events;
        return Balance.newBuilder(previous).setUsage(java.util.Map.of("requests", requests))
                .setRemainingMicros(previous.getRemainingMicros() - events * TWO_TENTHS_OF_A_CENT)
                .setSpentMicros(previous.getSpentMicros() + events * TWO_TENTHS_OF_A_CENT)
                .setEventsCounted(previous.getEventsCounted() + events).setVersion(previous.getVersion() + 1)
                .setUpdatedAt(previous.getUpdatedAt().plusMillis(100));
    }

    @Test
    void aBalanceThatCountedSomeEventsSettlesAsManyAdmissions() {
        Balance first = pastIncluded("acme", 5 * TWO_TENTHS_OF_A_CENT).setEventsCounted(2000).build();
        balances.put(first);
        DecisionService service = service();
        for (int i = 0; i < 5; i++) {
            clock.incrementAndGet();
            service.decide("acme", Estimate.NONE);
        }

        balances.put(counted(first, 3).setLastEventTime(Instant.ofEpochMilli(NOW - 60_000)).build());
        clock.incrementAndGet();
        DecisionService.Outcome outcome = service.decide("acme", Estimate.NONE);

        assertThat(outcome.decision().reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
        assertThat(outcome.decision().remainingMicros()).isZero();
        assertThat(service.pendingAdmissions("acme")).isEqualTo(2);
    }

    @Test
    void aTopUpWhileCallsAreInFlightKeepsTheirAdmissionsCounted() {
        Balance first = pastIncluded("acme", 3 * TWO_TENTHS_OF_A_CENT).setEventsCounted(2000).build();
        balances.put(first);
        DecisionService service = service();
        for (int i = 0; i < 3; i++) {
            clock.incrementAndGet();
            assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
        }

        // metering-streams stamps a top-up with its own time: the old rule took it to cover the three calls in flight
        balances.put(Balance.newBuilder(first).setCreditsMicros(first.getCreditsMicros() + 2 * TWO_TENTHS_OF_A_CENT)
                .setRemainingMicros(5 * TWO_TENTHS_OF_A_CENT).setLastEventTime(Instant.ofEpochMilli(clock.get() + 1))
                .setUpdatedAt(Instant.ofEpochMilli(clock.get() + 1)).setVersion(2).build());
        List<Boolean> allowed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clock.incrementAndGet();
            allowed.add(service.decide("acme", Estimate.NONE).allowed());
        }

        assertThat(allowed).containsExactly(true, true, false, false);
        assertThat(service.pendingAdmissions("acme")).isEqualTo(5);
    }

    @Test
    void aPriceRiseWhileCallsAreInFlightRepricesThem() {
        Balance first = pastIncluded("acme", 10 * TWO_TENTHS_OF_A_CENT).setEventsCounted(2000).build();
        balances.put(first);
        DecisionService service = service();
        for (int i = 0; i < 5; i++) {
            clock.incrementAndGet();
            assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
        }

        java.util.Map<String, io.tollgate.avro.MeterPrice> doubled = TestBalances.proMeters();
        doubled.put("requests", io.tollgate.avro.MeterPrice.newBuilder(doubled.get("requests")).setUnitPriceNanos(4_000_000).build());
        balances.put(Balance.newBuilder(first).setMeters(doubled).setPlan("pro-2")
                .setLastEventTime(Instant.ofEpochMilli(clock.get() + 1)).setVersion(2).build());
        clock.incrementAndGet();
        DecisionService.Outcome outcome = service.decide("acme", Estimate.NONE);

        assertThat(outcome.decision()).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, 0, "No credits remain."));
    }

    @Test
    void anOverEstimatedCallIsSettledByItsEventAndWhatItDidNotUseIsFree() {
        Balance first = prepaid("acme", 1_500_000).setEventsCounted(10).build();
        balances.put(first);
        DecisionService service = service();
        assertThat(service.decide("acme", Estimate.parseHeader("input_tokens=2000000")).allowed()).isTrue();
        assertThat(service.decide("acme", Estimate.parseHeader("input_tokens=2000000")).allowed()).isFalse();

        balances.put(Balance.newBuilder(first).setUsage(java.util.Map.of("requests", 1L, "input_tokens", 500_000L))
                .setSpentMicros(250_000).setRemainingMicros(1_250_000).setEventsCounted(11).setVersion(2).build());
        DecisionService.Outcome outcome = service.decide("acme", Estimate.parseHeader("input_tokens=2000000"));

        assertThat(outcome.allowed()).isTrue();
        assertThat(outcome.decision().remainingMicros()).isEqualTo(250_000);
    }

    @Test
    void anUnderEstimatedCallOverspendsByWhatItDidNotDeclareAndNoMore() {
        Balance first = prepaid("acme", 1_000_000).setEventsCounted(10).build();
        balances.put(first);
        DecisionService service = service();
        assertThat(service.decide("acme", Estimate.parseHeader("input_tokens=1000000")).allowed()).isTrue();
        assertThat(service.decide("acme", Estimate.parseHeader("input_tokens=1000000")).allowed()).isTrue();
        assertThat(service.decide("acme", Estimate.parseHeader("input_tokens=1")).allowed()).isFalse();

        // the first call used 3M tokens (1.50), the second is still in flight
        balances.put(Balance.newBuilder(first).setUsage(java.util.Map.of("requests", 1L, "input_tokens", 3_000_000L))
                .setSpentMicros(1_500_000).setRemainingMicros(-500_000).setEventsCounted(11).setVersion(2).build());
        DecisionService.Outcome outcome = service.decide("acme", Estimate.NONE);

        assertThat(outcome.decision().reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
        assertThat(outcome.decision().remainingMicros()).as("-0.50 undeclared, -0.50 for the call in flight").isEqualTo(-1_000_000);
        assertThat(service.pendingAdmissions("acme")).isEqualTo(1);
    }

    @Test
    void aConsumerForgottenAndRecreatedKeepsItsAdmissionsUntilItsNewLedgerCountsThem() {
        Balance first = pastIncluded("acme", 2 * TWO_TENTHS_OF_A_CENT).setEventsCounted(500).build();
        balances.put(first);
        DecisionService service = service();
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();

        balances.remove("acme"); // a tombstone
        assertThat(service.decide("acme", Estimate.NONE).decision().reason()).isEqualTo(Reason.UNKNOWN_CONSUMER);
        Balance recreated = pastIncluded("acme", 4 * TWO_TENTHS_OF_A_CENT).setEventsCounted(0).setVersion(1)
                .setUpdatedAt(first.getUpdatedAt().plusSeconds(5)).build();
        balances.put(recreated);
        List<Boolean> allowed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            allowed.add(service.decide("acme", Estimate.NONE).allowed());
        }
        assertThat(allowed).as("the two calls in flight still count against the new balance").containsExactly(true, true, false);

        balances.put(counted(recreated, 2).build());
        assertThat(service.pendingAdmissions("acme")).isEqualTo(4);
        assertThat(service.decide("acme", Estimate.NONE).decision().reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
        assertThat(service.pendingAdmissions("acme")).isEqualTo(2);
    }

    @Test
    void aBalanceFromAWriterWithoutEventsCountedSettlesNothingUntilTheAdmissionsExpire() {
        Balance old = pastIncluded("acme", 2 * TWO_TENTHS_OF_A_CENT).build();
        balances.put(old);
        DecisionService service = service(new DecisionService.Settings(false, false, 60_000), Freshness.ALWAYS_FRESH);
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();

        balances.put(Balance.newBuilder(old).setRemainingMicros(0).setVersion(2).setLastEventTime(Instant.ofEpochMilli(NOW + 10)).build());
        clock.addAndGet(30_000);
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isFalse();
        assertThat(service.pendingAdmissions("acme")).isEqualTo(2);
    }

    @Test
    void pendingUnitsBeyondWhatAMeterCanCountDenyInsteadOfFailing() {
        java.util.Map<String, io.tollgate.avro.MeterPrice> free = new java.util.HashMap<>();
        free.put("input_tokens", io.tollgate.avro.MeterPrice.newBuilder().setUnitPriceNanos(0).setPer(1).setIncluded(0).setHardLimit(null).build());
        balances.put(prepaid("acme", 1_000_000).setMeters(free).build());
        DecisionService service = service();
        // beyond the endpoints' bound on estimates: only a caller of the service itself can declare this much
        assertThat(service.decide("acme", Estimate.of(java.util.Map.of("input_tokens", Long.MAX_VALUE - 10), Long.MAX_VALUE)).allowed()).isTrue();

        DecisionService.Outcome outcome = service.decide("acme", Estimate.parseHeader("input_tokens=11"));

        assertThat(outcome.decision().reason()).isEqualTo(Reason.QUOTA_EXCEEDED);
        assertThat(service.pendingAdmissions("acme")).isEqualTo(1);
    }

    @Test
    void admissionsExpireAfterTheirTimeToLiveWhenNoBalanceCoversThem() {
        balances.put(pastIncluded("acme", TWO_TENTHS_OF_A_CENT).build());
        DecisionService service = service(new DecisionService.Settings(false, false, 60_000), Freshness.ALWAYS_FRESH);
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
        clock.addAndGet(59_999);
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isFalse();
        clock.addAndGet(2);

        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
    }

    @Test
    void reservesTheDeclaredEstimateNotJustOneRequest() {
        balances.put(prepaid("acme", 1_500_000).build());
        DecisionService service = service();

        assertThat(service.decide("acme", Estimate.parseHeader("input_tokens=2000000")).allowed()).isTrue();
        DecisionService.Outcome second = service.decide("acme", Estimate.parseHeader("input_tokens=2000000"));

        assertThat(second.decision()).isEqualTo(Decision.deny(Reason.INSUFFICIENT_CREDITS, 500_000,
                "This call is estimated at 1.00 USD but only 0.50 USD remain."));
    }

    @Test
    void deniesAnUnknownConsumerUnlessConfiguredToAllow() {
        assertThat(service().decide("ghost", Estimate.NONE).decision().reason()).isEqualTo(Reason.UNKNOWN_CONSUMER);

        DecisionService.Outcome allowed = service(new DecisionService.Settings(true, false, 60_000), Freshness.ALWAYS_FRESH)
                .decide("ghost", Estimate.NONE);
        assertThat(allowed.allowed()).isTrue();
        assertThat(allowed.view()).isNull();
    }

    @Test
    void aStaleReplicaFailsClosedOnlyWhenConfigured() {
        balances.put(prepaid("acme", 25_000_000).build());
        Freshness stale = now -> true;

        assertThat(service(new DecisionService.Settings(false, true, 60_000), stale).decide("acme", Estimate.NONE).decision().reason())
                .isEqualTo(Reason.STALE_BALANCE);
        assertThat(service(new DecisionService.Settings(false, false, 60_000), stale).decide("acme", Estimate.NONE).allowed()).isTrue();
        assertThat(service(new DecisionService.Settings(false, true, 60_000), Freshness.ALWAYS_FRESH).decide("acme", Estimate.NONE).allowed())
                .isTrue();
    }

    @Test
    void concurrentCallsNeverAdmitMoreThanTheBalance() throws Exception {
        balances.put(pastIncluded("acme", 100 * TWO_TENTHS_OF_A_CENT).build());
        DecisionService service = service();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Integer>> callers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                callers.add(() -> {
                    int allowed = 0;
                    for (int i = 0; i < 500; i++) {
                        allowed += service.decide("acme", Estimate.NONE).allowed() ? 1 : 0;
                    }
                    return allowed;
                });
            }
            int total = 0;
            for (Future<Integer> f : pool.invokeAll(callers)) {
                total += f.get();
            }
            assertThat(total).isEqualTo(100);
        } finally {
            pool.shutdownNow();
        }
    }
}
