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

    @Test
    void aNewerBalanceSettlesTheAdmissionsItCovers() {
        balances.put(pastIncluded("acme", 5 * TWO_TENTHS_OF_A_CENT).build());
        DecisionService service = service();
        for (int i = 0; i < 5; i++) {
            clock.incrementAndGet();
            service.decide("acme", Estimate.NONE);
        }
        long afterThirdAdmission = NOW + 4;

        balances.put(pastIncluded("acme", 2 * TWO_TENTHS_OF_A_CENT).setUsage(java.util.Map.of("requests", 2003L))
                .setLastEventTime(Instant.ofEpochMilli(afterThirdAdmission)).setVersion(2).build());
        clock.incrementAndGet();
        DecisionService.Outcome outcome = service.decide("acme", Estimate.NONE);

        assertThat(outcome.allowed()).isFalse();
        assertThat(outcome.decision().reason()).isEqualTo(Reason.INSUFFICIENT_CREDITS);
        assertThat(outcome.decision().remainingMicros()).isZero();
        assertThat(service.pendingAdmissions("acme")).isEqualTo(2);
    }

    @Test
    void aTopUpAllowsAgainAndDropsEveryCoveredAdmission() {
        balances.put(pastIncluded("acme", TWO_TENTHS_OF_A_CENT).build());
        DecisionService service = service();
        clock.incrementAndGet();
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
        clock.incrementAndGet();
        assertThat(service.decide("acme", Estimate.NONE).allowed()).isFalse();

        balances.put(pastIncluded("acme", 10_000_000).setLastEventTime(Instant.ofEpochMilli(clock.get())).setVersion(2).build());
        clock.incrementAndGet();
        DecisionService.Outcome outcome = service.decide("acme", Estimate.NONE);

        assertThat(outcome.allowed()).isTrue();
        assertThat(outcome.decision().remainingMicros()).isEqualTo(10_000_000 - TWO_TENTHS_OF_A_CENT);
        assertThat(service.pendingAdmissions("acme")).isEqualTo(1);
    }

    @Test
    void anAdmissionInTheSameMillisecondAsTheBalanceKeepsCounting() {
        balances.put(pastIncluded("acme", TWO_TENTHS_OF_A_CENT).build());
        DecisionService service = service();
        service.decide("acme", Estimate.NONE);
        balances.put(pastIncluded("acme", TWO_TENTHS_OF_A_CENT).setLastEventTime(Instant.ofEpochMilli(NOW)).setVersion(2).build());

        assertThat(service.decide("acme", Estimate.NONE).allowed()).isFalse();
        assertThat(service.pendingAdmissions("acme")).isEqualTo(1);
    }

    @Test
    void withoutALastEventTimeTheUpdateTimeSettles() {
        balances.put(pastIncluded("acme", TWO_TENTHS_OF_A_CENT).setUpdatedAt(Instant.ofEpochMilli(NOW - 1000)).build());
        DecisionService service = service();
        service.decide("acme", Estimate.NONE);
        balances.put(pastIncluded("acme", TWO_TENTHS_OF_A_CENT).setUpdatedAt(Instant.ofEpochMilli(NOW + 1)).setVersion(2).build());
        clock.addAndGet(2);

        assertThat(service.decide("acme", Estimate.NONE).allowed()).isTrue();
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
