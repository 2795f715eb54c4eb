package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.tollgate.billing.decision.TestBalances.NOVEMBER;
import static io.tollgate.billing.decision.TestBalances.prepaid;
import static io.tollgate.billing.decision.TestBalances.withUsage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalAdmissionsTest {
    private static final long NO_EXPIRY = Long.MIN_VALUE;
    private final LocalAdmissions admissions = new LocalAdmissions();

    private static Estimate estimate(String header) {
        return Estimate.parseHeader(header).effective();
    }

    @Test
    void eachEventCountedSettlesOneAdmission() {
        admissions.settle(40, 1, NO_EXPIRY);
        for (int i = 0; i < 5; i++) {
            admissions.admit(i, Estimate.ONE_REQUEST);
        }

        admissions.settle(42, 2, NO_EXPIRY);

        assertThat(admissions.size()).isEqualTo(3);
        assertThat(admissions.units("requests")).isEqualTo(3);
        assertThat(admissions.counted()).isEqualTo(42);
    }

    @Test
    void theFirstBalanceSeenIsTheBaseAndSettlesNothing() {
        admissions.settle(1_000, 1, NO_EXPIRY);
        admissions.admit(1, Estimate.ONE_REQUEST);

        assertThat(admissions.size()).isEqualTo(1);
        assertThat(admissions.counted()).isEqualTo(1_000);
    }

    @Test
    void aBalanceThatCountedNothingNewSettlesNothing() {
        admissions.settle(7, 1, NO_EXPIRY);
        admissions.admit(1, Estimate.ONE_REQUEST);
        admissions.admit(2, Estimate.ONE_REQUEST);

        admissions.settle(7, 2, NO_EXPIRY); // a top-up or a plan change: a new balance, the same count

        assertThat(admissions.size()).isEqualTo(2);
    }

    @Test
    void moreEventsCountedThanAdmittedSettlesEverythingAndNoMore() {
        admissions.settle(0, 1, NO_EXPIRY);
        admissions.admit(1, Estimate.ONE_REQUEST);

        admissions.settle(10, 2, NO_EXPIRY);
        admissions.admit(3, Estimate.ONE_REQUEST);

        assertThat(admissions.size()).isEqualTo(1);
        assertThat(admissions.units("requests")).isEqualTo(1);
    }

    @Test
    void perMeterTheSmallestUnitsAreSettledFirstWhicheverCallWasCounted() {
        admissions.settle(0, 1, NO_EXPIRY);
        admissions.admit(1, estimate("input_tokens=1000"));
        admissions.admit(2, estimate("input_tokens=100"));
        admissions.admit(3, estimate("input_tokens=500"));

        admissions.settle(1, 2, NO_EXPIRY);

        assertThat(admissions.units("input_tokens")).as("at least what the two calls still in flight declared, whichever was counted")
                .isEqualTo(1500);
        assertThat(admissions.units("requests")).isEqualTo(2);
    }

    @Test
    void callsOfDifferentMetersKeepTheLargestOfEachMeter() {
        admissions.settle(0, 1, NO_EXPIRY);
        admissions.admit(1, estimate("input_tokens=1000000"));
        admissions.admit(2, estimate("output_tokens=10"));

        admissions.settle(1, 2, NO_EXPIRY);

        // Either call may be the one counted: each meter keeps what the other would still need.
        assertThat(admissions.units("input_tokens")).isEqualTo(1_000_000);
        assertThat(admissions.units("output_tokens")).isEqualTo(10);
        assertThat(admissions.units("requests")).isEqualTo(1);
        assertThat(admissions.size()).isEqualTo(1);
    }

    @Test
    void aCountThatGoesBackwardsSettlesNothingAndBecomesTheNewBase() {
        admissions.settle(500, 1, NO_EXPIRY);
        admissions.admit(1, Estimate.ONE_REQUEST);
        admissions.admit(2, Estimate.ONE_REQUEST);

        admissions.settle(0, 3, NO_EXPIRY); // the consumer was forgotten and recreated: a new ledger counts from 0
        assertThat(admissions.size()).isEqualTo(2);

        admissions.settle(1, 4, NO_EXPIRY);
        assertThat(admissions.size()).isEqualTo(1);
    }

    @Test
    void aBalanceOlderThanTheLastOneSeenIsIgnored() {
        admissions.settle(10, 100, NO_EXPIRY);
        admissions.admit(1, Estimate.ONE_REQUEST);
        admissions.admit(2, Estimate.ONE_REQUEST);
        admissions.settle(11, 200, NO_EXPIRY);

        admissions.settle(10, 150, NO_EXPIRY);
        admissions.settle(11, 200, NO_EXPIRY);

        assertThat(admissions.size()).as("the stale balance neither settled nor moved the base").isEqualTo(1);
        assertThat(admissions.counted()).isEqualTo(11);
    }

    @Test
    void admissionsOlderThanTheirTimeToLiveExpireOldestFirstAndSmallestUnitsFirst() {
        admissions.settle(0, 1, NO_EXPIRY);
        admissions.admit(1_000, estimate("input_tokens=700"));
        admissions.admit(2_000, estimate("input_tokens=300"));
        admissions.admit(3_000, estimate("input_tokens=900"));

        admissions.settle(0, 1, 2_000);

        assertThat(admissions.size()).isEqualTo(2);
        assertThat(admissions.units("input_tokens")).isEqualTo(1_600);
        admissions.settle(0, 1, 3_001);
        assertThat(admissions.size()).isZero();
        assertThat(admissions.units("input_tokens")).isZero();
    }

    @Test
    void pendingUnitsArePricedWithTheBalancesPricesAtTheMarginOverItsPeriodUsage() {
        Balance pro = withUsage(prepaid("acme", 25_000_000), "requests", 999).build(); // 1000 included, then 0.002
        admissions.settle(0, 1, NO_EXPIRY);
        admissions.admit(1, Estimate.ONE_REQUEST);
        admissions.admit(2, Estimate.ONE_REQUEST);
        admissions.admit(3, estimate("input_tokens=2000000"));

        assertThat(admissions.price(pro, NOVEMBER)).as("one request free, two at 0.002, 2M tokens at 0.50/M").isEqualTo(1_004_000);
        assertThat(admissions.micros()).isEqualTo(1_004_000);

        Balance repriced = withUsage(prepaid("acme", 25_000_000), "requests", 999).setMeters(doubledRequestPrice()).build();
        assertThat(admissions.price(repriced, NOVEMBER)).as("a plan change re-prices what is in flight").isEqualTo(1_008_000);

        Balance october = withUsage(prepaid("acme", 25_000_000), "requests", 999).setPeriod("2026-10").build();
        assertThat(admissions.price(october, NOVEMBER)).as("a new period starts from no usage: all three requests included")
                .isEqualTo(1_000_000);
    }

    private static java.util.Map<String, io.tollgate.avro.MeterPrice> doubledRequestPrice() {
        var meters = TestBalances.proMeters();
        meters.put("requests", io.tollgate.avro.MeterPrice.newBuilder(meters.get("requests")).setUnitPriceNanos(4_000_000).build());
        return meters;
    }

    @Test
    void anAdmissionWhoseUnitsWouldOverflowAMetersSumIsRefusedAndChangesNothing() {
        admissions.settle(0, 1, NO_EXPIRY);
        admissions.admit(1, Estimate.of(java.util.Map.of("input_tokens", Long.MAX_VALUE - 10), Long.MAX_VALUE).effective());

        assertThatThrownBy(() -> admissions.admit(2, estimate("input_tokens=11"))).isInstanceOf(ArithmeticException.class);

        assertThat(admissions.size()).isEqualTo(1);
        assertThat(admissions.units("input_tokens")).isEqualTo(Long.MAX_VALUE - 10);
        assertThat(admissions.units("requests")).isEqualTo(1);
    }

    @Test
    void pendingUnitsPricedBeyondALongAreMoreThanAnyBalanceNeverNegative() {
        java.util.Map<String, io.tollgate.avro.MeterPrice> gold = TestBalances.proMeters();
        gold.put("gold", io.tollgate.avro.MeterPrice.newBuilder().setUnitPriceNanos(Long.MAX_VALUE / 3).setPer(1).setIncluded(0)
                .setHardLimit(null).build());
        admissions.settle(0, 1, NO_EXPIRY);
        admissions.admit(1, estimate("gold=10000"));

        assertThat(admissions.price(prepaid("acme", 25_000_000).setMeters(gold).build(), NOVEMBER)).isEqualTo(Long.MAX_VALUE);

        Balance full = withUsage(prepaid("acme", 25_000_000), "input_tokens", Long.MAX_VALUE - 1).build();
        LocalAdmissions atTheEnd = new LocalAdmissions();
        atTheEnd.settle(0, 1, NO_EXPIRY);
        atTheEnd.admit(1, estimate("input_tokens=2"));
        assertThat(atTheEnd.price(full, NOVEMBER)).as("usage at the end of a long saturates instead of wrapping").isEqualTo(1);
    }

    @Test
    void keepsItsOrderThroughGrowthAndWrapAround() {
        admissions.settle(0, 1, NO_EXPIRY);
        for (int i = 0; i < 6; i++) {
            admissions.admit(i, Estimate.ONE_REQUEST);
        }
        admissions.settle(5, 2, NO_EXPIRY);
        for (int i = 6; i < 30; i++) {
            admissions.admit(i, estimate("input_tokens=" + i));
        }

        admissions.settle(5, 2, 10); // admitted at 5..9 expire

        assertThat(admissions.size()).isEqualTo(20);
        assertThat(admissions.units("requests")).isEqualTo(20);
        assertThat(admissions.units("input_tokens")).isEqualTo(java.util.stream.IntStream.range(10, 30).sum());
    }

    /** Calls with random estimates; their events counted in a random order, a random number per balance. */
    record Run(List<long[]> calls, long seed) {
    }

    @Provide
    Arbitrary<Run> runs() {
        Arbitrary<long[]> call = Arbitraries.longs().between(0, 3).array(long[].class).ofSize(2)
                .map(units -> new long[] {units[0] * 1000, units[1] * 10});
        return Arbitraries.longs().between(1, 1_000_000).flatMap(seed -> call.list().ofMinSize(1).ofMaxSize(40).map(calls -> new Run(calls, seed)));
    }

    @Property(tries = 500)
    void pendingUnitsOfEveryMeterNeverFallBelowThoseOfTheCallsReallyInFlight(@ForAll("runs") Run run) {
        Random random = new Random(run.seed());
        LocalAdmissions local = new LocalAdmissions();
        local.settle(0, 0, NO_EXPIRY);
        List<long[]> inFlight = new ArrayList<>();
        long counted = 0;
        int next = 0;
        while (next < run.calls().size() || !inFlight.isEmpty()) {
            if (next < run.calls().size() && (inFlight.isEmpty() || random.nextBoolean())) {
                long[] call = run.calls().get(next++);
                local.admit(next, estimate("input_tokens=" + call[0] + ",output_tokens=" + call[1]));
                inFlight.add(call);
            } else {
                Collections.shuffle(inFlight, random);
                int events = 1 + random.nextInt(inFlight.size());
                inFlight.subList(0, events).clear();
                counted += events;
                local.settle(counted, counted, NO_EXPIRY);
            }
            assertThat(local.size()).isEqualTo(inFlight.size());
            assertThat(local.units("input_tokens")).isGreaterThanOrEqualTo(inFlight.stream().mapToLong(c -> c[0]).sum());
            assertThat(local.units("output_tokens")).isGreaterThanOrEqualTo(inFlight.stream().mapToLong(c -> c[1]).sum());
            assertThat(local.units("requests")).isEqualTo(inFlight.size());
        }
        assertThat(local.units("input_tokens")).isZero();
        assertThat(local.units("output_tokens")).isZero();
    }
}
