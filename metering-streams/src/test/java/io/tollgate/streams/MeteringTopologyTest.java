package io.tollgate.streams;

import io.tollgate.avro.Balance;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.streams.errors.DeadLetters;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.tollgate.streams.MeteringDriver.price;
import static org.assertj.core.api.Assertions.assertThat;

class MeteringTopologyTest {
    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
    private static final long TWENTY_FIVE_DOLLARS = 25_000_000L;
    /** requests: 0.002 each beyond 1000 included; input_tokens: 0.50 per million. */
    private static final Map<String, MeterPrice> PRO = Map.of(
            "requests", price(2_000_000L, 1, 1000),
            "input_tokens", price(500_000_000L, 1_000_000, 0));
    /** requests: 0.001 each, nothing included. */
    private static final Map<String, MeterPrice> BASIC = Map.of("requests", price(1_000_000L, 1, 0));

    private MeteringDriver app = new MeteringDriver();

    @AfterEach
    void close() {
        app.close();
    }

    private void prepaidAcmeOnPro() {
        app.definePlan("pro", "month", PRO, T0);
        app.updateConsumer("acme", "pro", "prepaid", null, T0);
        app.grant("acme", TWENTY_FIVE_DOLLARS, "topup-0001", T0);
    }

    @Test
    void duplicatesWithinTheWindowCountOnce() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "req-1", T0.plusSeconds(1), Map.of("requests", 1L));
        app.call("acme", "gw-1", "req-1", T0.plusSeconds(1), Map.of("requests", 1L));
        app.call("acme", "gw-1", "req-1", T0.plusSeconds(3600), Map.of("requests", 1L));
        app.call("acme", "gw-2", "req-1", T0.plusSeconds(2), Map.of("requests", 1L));
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        assertThat(acme.getUsage()).containsExactly(Map.entry("requests", 2L));
        assertThat(app.latestHours().values()).extracting(UsageAggregate::getUnits, UsageAggregate::getEvents)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, 2L));
        assertThat(app.deadLetters.isEmpty()).isTrue();
        assertThat(app.metric("duplicate-events-total")).isEqualTo(2.0);
        assertThat(app.metric("counted-events-total")).isEqualTo(2.0);
    }

    @Test
    void eventsCountedGrowsByOnePerCountedEventAndNoTopUpPlanChangeOrNewPeriodResetsIt() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "a", T0.plusSeconds(1), Map.of("requests", 1L));
        app.call("acme", "gw-2", "b", T0.plusSeconds(2), Map.of("requests", 1L, "input_tokens", 500L));
        app.call("acme", "gw-1", "a", T0.plusSeconds(1), Map.of("requests", 1L));
        app.flush();
        assertThat(app.latestBalances().get("acme").getEventsCounted()).as("a duplicate is not counted").isEqualTo(2L);

        app.grant("acme", 1_000_000L, "topup-0002", T0.plusSeconds(3));
        app.definePlan("basic", "month", BASIC, T0.plusSeconds(4));
        app.updateConsumer("acme", "basic", "prepaid", null, T0.plusSeconds(5));
        app.call("acme", "gw-1", "dec", Instant.parse("2026-12-01T00:00:00Z"), Map.of("requests", 1L));
        app.call("acme", "gw-1", "too-late", T0.minus(Duration.ofDays(2)), Map.of("requests", 1L));
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        assertThat(acme.getPeriod()).isEqualTo("2026-12");
        assertThat(acme.getUsage()).containsExactly(Map.entry("requests", 1L));
        assertThat(acme.getEventsCounted()).as("top-up, plan change and a new period keep the count; a dead letter adds nothing")
                .isEqualTo(3L);
        assertThat(app.metric("too-late-events-total")).isEqualTo(1.0);
    }

    @Test
    void eventOlderThanTheWindowGoesToTheDeadLetterTopicAndIsNotCounted() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "new", T0.plus(Duration.ofHours(30)), Map.of("requests", 1L));
        app.call("acme", "gw-1", "old", T0.plus(Duration.ofHours(5)).minusMillis(1), Map.of("requests", 1L));
        app.call("acme", "gw-1", "just-in-time", T0.plus(Duration.ofHours(6)), Map.of("requests", 1L));
        app.flush();

        List<KeyValue<byte[], DeadLetter>> letters = app.deadLetters.readKeyValuesToList();
        assertThat(letters).hasSize(1);
        DeadLetter letter = letters.get(0).value;
        assertThat(new String(letters.get(0).key, StandardCharsets.UTF_8)).isEqualTo("acme");
        assertThat(letter.getStage()).isEqualTo(DeadLetters.STAGE_TOO_LATE);
        assertThat(letter.getTopic()).isEqualTo("usage.events");
        assertThat(letter.getPartition()).isEqualTo(0);
        assertThat(letter.getOffset()).isEqualTo(1L);
        assertThat(letter.getReason()).contains("2026-11-21T14:59:59.999Z").contains("PT24H");
        assertThat(letter.getValue()).isNotNull();
        assertThat(app.latestBalances().get("acme").getUsage()).containsExactly(Map.entry("requests", 2L));
        assertThat(app.metric("too-late-events-total")).isEqualTo(1.0);
    }

    @Test
    void chargesComeFromPeriodTotalsWithIncludedUnitsAndPricePerUnits() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "a", T0.plusSeconds(10), Map.of("requests", 600L, "input_tokens", 1_000_001L));
        app.call("acme", "gw-1", "b", T0.plusSeconds(20), Map.of("requests", 600L, "input_tokens", 1_000_001L));
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        // requests: (1200 - 1000) x 0.002 = 0.40; input_tokens: 2,000,002 x 0.50 / 1e6 = 1.000001
        // (per-event rounding would give 0.500001 twice = 1.000002).
        assertThat(acme.getAmounts()).containsOnly(Map.entry("requests", 400_000L), Map.entry("input_tokens", 1_000_001L));
        assertThat(acme.getUsage()).containsOnly(Map.entry("requests", 1200L), Map.entry("input_tokens", 2_000_002L));
        assertThat(acme.getSpentMicros()).isEqualTo(1_400_001L);
        assertThat(acme.getCreditsMicros()).isEqualTo(TWENTY_FIVE_DOLLARS);
        assertThat(acme.getRemainingMicros()).isEqualTo(23_599_999L);
        assertThat(acme.getPeriod()).isEqualTo("2026-11");
        assertThat(acme.getCurrency()).isEqualTo("USD");
        assertThat(acme.getStatus()).isEqualTo("active");
        assertThat(acme.getMeters()).isEqualTo(PRO);
        assertThat(acme.getLastEventTime()).isEqualTo(T0.plusSeconds(20));
        assertThat(acme.getUpdatedAt()).isEqualTo(MeteringDriver.WALL_CLOCK_START);

        Map<String, UsageAggregate> hours = app.latestHours();
        assertThat(hours.get("acme/input_tokens/" + T0).getAmountMicros()).isEqualTo(1_000_001L);
        assertThat(hours.get("acme/requests/" + T0).getAmountMicros()).isEqualTo(400_000L);
        assertThat(hours.get("acme/requests/" + T0).getEvents()).isEqualTo(2L);
        assertThat(hours.get("acme/requests/" + T0).getCurrency()).isEqualTo("USD");
    }

    @Test
    void periodRollsOverAtTheUtcMonthBoundary() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "nov", Instant.parse("2026-11-30T23:59:59.999Z"), Map.of("requests", 1500L));
        app.call("acme", "gw-1", "dec", Instant.parse("2026-12-01T00:00:00Z"), Map.of("requests", 1200L));
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        assertThat(acme.getPeriod()).isEqualTo("2026-12");
        assertThat(acme.getUsage()).containsExactly(Map.entry("requests", 1200L));
        assertThat(acme.getSpentMicros()).isEqualTo(400_000L);
        assertThat(acme.getCreditsMicros()).isEqualTo(TWENTY_FIVE_DOLLARS - 1_000_000L);
        assertThat(acme.getRemainingMicros()).isEqualTo(TWENTY_FIVE_DOLLARS - 1_400_000L);
    }

    @Test
    void dayPeriodsRollOverAtUtcMidnight() {
        app.definePlan("daily", "day", Map.of("requests", price(1_000_000L, 1, 10)), T0);
        app.updateConsumer("acme", "daily", "prepaid", null, T0);
        app.call("acme", "gw-1", "a", Instant.parse("2026-11-21T23:00:00Z"), Map.of("requests", 15L));
        app.call("acme", "gw-1", "b", Instant.parse("2026-11-22T01:00:00Z"), Map.of("requests", 12L));
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        assertThat(acme.getPeriod()).isEqualTo("2026-11-22");
        assertThat(acme.getSpentMicros()).isEqualTo(2_000L);
        assertThat(acme.getCreditsMicros()).isEqualTo(-5_000L);
        assertThat(acme.getRemainingMicros()).isEqualTo(-7_000L);
    }

    @Test
    void postpaidRemainingIsTheSpendLimitMinusTheSpend() {
        app.definePlan("pro", "month", PRO, T0);
        app.updateConsumer("bigco", "pro", "postpaid", 500_000_000L, T0);
        app.updateConsumer("open", "pro", "postpaid", null, T0);
        app.call("bigco", "gw-1", "a", T0.plusSeconds(1), Map.of("requests", 1200L));
        app.call("open", "gw-1", "a", T0.plusSeconds(1), Map.of("requests", 1200L));
        app.flush();

        Map<String, Balance> latest = app.latestBalances();
        assertThat(latest.get("bigco").getBilling()).isEqualTo("postpaid");
        assertThat(latest.get("bigco").getSpentMicros()).isEqualTo(400_000L);
        assertThat(latest.get("bigco").getRemainingMicros()).isEqualTo(499_600_000L);
        assertThat(latest.get("bigco").getSpendLimitMicros()).isEqualTo(500_000_000L);
        assertThat(latest.get("bigco").getCreditsMicros()).isZero();
        assertThat(latest.get("open").getRemainingMicros()).isZero();
        assertThat(latest.get("open").getSpendLimitMicros()).isNull();
    }

    @Test
    void creditsAreGrantedOncePerIdempotencyKey() {
        app.definePlan("pro", "month", PRO, T0);
        app.updateConsumer("acme", "pro", "prepaid", null, T0);
        app.grant("acme", 10_000_000L, "k1", T0.plusSeconds(1));
        app.grant("acme", 10_000_000L, "k1", T0.plusSeconds(2));
        app.grant("acme", 5_000_000L, "k2", T0.plusSeconds(3));
        app.grant("other", 7_000_000L, "k1", T0.plusSeconds(4));
        app.flush();

        Map<String, Balance> latest = app.latestBalances();
        assertThat(latest.get("acme").getCreditsMicros()).isEqualTo(15_000_000L);
        assertThat(latest.get("acme").getRemainingMicros()).isEqualTo(15_000_000L);
        assertThat(latest.get("acme").getVersion()).isEqualTo(3L);
        assertThat(latest.get("other").getCreditsMicros()).isEqualTo(7_000_000L);
    }

    @Test
    void aLateEventLandsInTheHourItBelongsTo() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "a", Instant.parse("2026-11-21T12:10:00Z"), Map.of("requests", 1L));
        app.call("acme", "gw-1", "b", Instant.parse("2026-11-21T14:05:00Z"), Map.of("requests", 1L));
        app.call("acme", "gw-1", "late", Instant.parse("2026-11-21T12:50:00Z"), Map.of("requests", 1L));
        app.flush();

        Map<String, UsageAggregate> hours = app.latestHours();
        assertThat(hours).containsOnlyKeys("acme/requests/2026-11-21T12:00:00Z", "acme/requests/2026-11-21T14:00:00Z");
        assertThat(hours.get("acme/requests/2026-11-21T12:00:00Z").getUnits()).isEqualTo(2L);
        assertThat(hours.get("acme/requests/2026-11-21T12:00:00Z").getEvents()).isEqualTo(2L);
        assertThat(hours.get("acme/requests/2026-11-21T14:00:00Z").getUnits()).isEqualTo(1L);
    }

    @Test
    void aPlanChangeMidPeriodRecomputesTheWholePeriodWithTheNewPlan() {
        app.definePlan("basic", "month", BASIC, T0);
        app.definePlan("pro", "month", PRO, T0);
        app.updateConsumer("acme", "basic", "prepaid", null, T0);
        app.grant("acme", TWENTY_FIVE_DOLLARS, "topup", T0);
        app.call("acme", "gw-1", "a", Instant.parse("2026-11-21T10:30:00Z"), Map.of("requests", 1000L));
        app.call("acme", "gw-1", "b", Instant.parse("2026-11-21T11:30:00Z"), Map.of("requests", 500L));
        app.flush();
        assertThat(app.latestBalances().get("acme").getSpentMicros()).isEqualTo(1_500_000L);
        assertThat(app.latestHours().get("acme/requests/2026-11-21T10:00:00Z").getAmountMicros()).isEqualTo(1_000_000L);

        app.updateConsumer("acme", "pro", "prepaid", null, Instant.parse("2026-11-21T12:00:00Z"));
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        // pro on the period total: (1500 - 1000) x 0.002 = 1.00, replacing basic's 1.50 for the whole period.
        assertThat(acme.getPlan()).isEqualTo("pro");
        assertThat(acme.getAmounts()).containsExactly(Map.entry("requests", 1_000_000L));
        assertThat(acme.getSpentMicros()).isEqualTo(1_000_000L);
        assertThat(acme.getRemainingMicros()).isEqualTo(24_000_000L);
        Map<String, UsageAggregate> hours = app.latestHours();
        assertThat(hours.get("acme/requests/2026-11-21T10:00:00Z").getAmountMicros()).isZero();
        assertThat(hours.get("acme/requests/2026-11-21T11:00:00Z").getAmountMicros()).isEqualTo(1_000_000L);
        assertThat(hours.get("acme/requests/2026-11-21T11:00:00Z").getUnits()).isEqualTo(500L);
    }

    @Test
    void aRedefinedPlanRepricesItsConsumers() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "a", T0.plusSeconds(1), Map.of("requests", 1500L));
        app.definePlan("pro", "month", Map.of("requests", price(4_000_000L, 1, 1000)), T0.plusSeconds(60));
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        assertThat(acme.getSpentMicros()).isEqualTo(2_000_000L);
        assertThat(acme.getMeters().get("requests").getUnitPriceNanos()).isEqualTo(4_000_000L);
    }

    @Test
    void usageWithoutAPlanIsCountedAndChargedWhenThePlanArrives() {
        app.definePlan("pro", "month", PRO, T0);
        app.call("newco", "gw-1", "a", T0.plusSeconds(1), Map.of("requests", 1500L));
        app.flush();

        Balance before = app.latestBalances().get("newco");
        assertThat(before.getStatus()).isEqualTo("unknown");
        assertThat(before.getPlan()).isNull();
        assertThat(before.getCurrency()).isEqualTo("XXX");
        assertThat(before.getUsage()).containsExactly(Map.entry("requests", 1500L));
        assertThat(before.getSpentMicros()).isZero();

        app.updateConsumer("newco", "pro", "prepaid", null, T0.plusSeconds(60));
        app.flush();
        Balance after = app.latestBalances().get("newco");
        assertThat(after.getStatus()).isEqualTo("active");
        assertThat(after.getSpentMicros()).isEqualTo(1_000_000L);
        assertThat(after.getRemainingMicros()).isEqualTo(-1_000_000L);
        assertThat(app.latestHours().get("newco/requests/" + T0).getAmountMicros()).isEqualTo(1_000_000L);
    }

    @Test
    void aNewConsumerHasABalanceBeforeItsFirstCall() {
        app.definePlan("pro", "month", PRO, T0);
        app.updateConsumer("acme", "pro", "prepaid", null, T0);
        app.flush();

        Balance acme = app.latestBalances().get("acme");
        assertThat(acme.getVersion()).isEqualTo(1L);
        assertThat(acme.getPeriod()).isEqualTo("2026-11");
        assertThat(acme.getUsage()).isEmpty();
        assertThat(acme.getRemainingMicros()).isZero();
        assertThat(acme.getLastEventTime()).isEqualTo(T0);
    }

    @Test
    void balanceUpdatesAreCoalescedWithinAFlushInterval() {
        prepaidAcmeOnPro();
        app.flush();
        app.balanceRecords();
        app.hourly.readRecordsToList();

        for (int i = 0; i < 50; i++) {
            app.call("acme", "gw-1", "call-" + i, T0.plusSeconds(i), Map.of("requests", 1L));
        }
        assertThat(app.balances.isEmpty()).isTrue();
        app.flush();

        var published = app.balanceRecords();
        assertThat(published).hasSize(1);
        assertThat(published.get(0).value().getVersion()).isEqualTo(52L);
        assertThat(published.get(0).value().getUsage()).containsExactly(Map.entry("requests", 50L));
        assertThat(app.hourly.readValuesToList()).hasSize(1);
        app.flush();
        assertThat(app.balances.isEmpty()).isTrue();
    }

    @Test
    void anEventThatFailsHalfWayGoesToTheDeadLetterTopicAndChangesNothing() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "huge", T0.plusSeconds(1), Map.of("egress", Long.MAX_VALUE - 10));
        // "requests" is applied before "egress" (map order), so the event fails after counting its request in memory.
        app.call("acme", "gw-1", "overflow", T0.plusSeconds(2), Map.of("requests", 1L, "egress", 100L));
        app.call("acme", "gw-1", "after", T0.plusSeconds(3), Map.of("requests", 5L));
        app.flush();

        List<KeyValue<byte[], DeadLetter>> letters = app.deadLetters.readKeyValuesToList();
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).value.getStage()).isEqualTo(DeadLetters.STAGE_PROCESS);
        assertThat(letters.get(0).value.getOffset()).isEqualTo(1L);
        assertThat(letters.get(0).value.getReason()).startsWith("ArithmeticException");
        assertThat(app.latestBalances().get("acme").getUsage())
                .containsOnly(Map.entry("requests", 5L), Map.entry("egress", Long.MAX_VALUE - 10));
    }

    @Test
    void anEventWithNegativeUnitsGoesToTheDeadLetterTopicAndIsNotCounted() {
        prepaidAcmeOnPro();
        app.call("acme", "gw-1", "bad", T0.plus(Duration.ofDays(3)), Map.of("requests", -1L));
        app.call("acme", "gw-1", "good", T0.plusSeconds(1), Map.of("requests", 2L));
        app.flush();

        List<KeyValue<byte[], DeadLetter>> letters = app.deadLetters.readKeyValuesToList();
        assertThat(letters).extracting(kv -> kv.value.getStage()).containsExactly(DeadLetters.STAGE_INVALID);
        assertThat(letters.get(0).value.getReason()).isEqualTo("meter requests has negative units");
        assertThat(app.latestBalances().get("acme").getUsage())
                .as("the invalid event did not move stream time: the next event is not too late")
                .containsExactly(Map.entry("requests", 2L));
    }

    @Test
    void anUnreadableRecordGoesToTheDeadLetterTopicAndProcessingGoesOn() {
        prepaidAcmeOnPro();
        app.rawUsage.pipeInput("acme", "not avro".getBytes(StandardCharsets.UTF_8), T0);
        app.call("acme", "gw-1", "a", T0.plusSeconds(1), Map.of("requests", 3L));
        app.flush();

        List<KeyValue<byte[], DeadLetter>> letters = app.deadLetters.readKeyValuesToList();
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).value.getStage()).isEqualTo(DeadLetters.STAGE_DESERIALIZE);
        assertThat(StandardCharsets.UTF_8.decode(letters.get(0).value.getValue()).toString()).isEqualTo("not avro");
        assertThat(new String(letters.get(0).key, StandardCharsets.UTF_8)).isEqualTo("acme");
        assertThat(app.latestBalances().get("acme").getUsage()).containsExactly(Map.entry("requests", 3L));
    }
}
