package io.tollgate.deploy.finance;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ReconciliationTest {
    static final Duration WINDOW = Duration.ofHours(24);
    static final PlanDefined PRO = PlanDefined.newBuilder().setPlan("pro").setCurrency("USD").setPeriod("month").setMeters(Map.of(
            "requests", MeterPrice.newBuilder().setUnitPriceNanos(2_000_000L).setPer(1).setIncluded(2).setHardLimit(null).build(),
            "input_tokens", MeterPrice.newBuilder().setUnitPriceNanos(500_000_000L).setPer(1_000_000).setIncluded(0).setHardLimit(null).build()))
            .build();

    final List<Reconciliation.Read<UsageEvent>> events = new ArrayList<>();
    final List<Reconciliation.Read<AccountEvent>> accounts = new ArrayList<>();

    void event(int partition, String source, String id, String consumer, String time, Map<String, Long> meters) {
        events.add(new Reconciliation.Read<>(partition, events.size(), consumer, UsageEvent.newBuilder().setId(id).setSource(source)
                .setConsumer(consumer).setGateway("canonical").setEventTime(Instant.parse(time)).setIngestTime(Instant.parse(time))
                .setMeters(new HashMap<>(meters)).build()));
    }

    void account(int partition, Object payload) {
        accounts.add(new Reconciliation.Read<>(partition, accounts.size(), null, AccountEvent.newBuilder().setEventId("e" + accounts.size())
                .setTime(Instant.parse("2026-11-01T00:00:00Z")).setPayload(payload).build()));
    }

    void givenAcmeOnPro() {
        for (int p = 0; p < 6; p++) {
            account(p, PRO);
        }
        account(3, ConsumerUpdated.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active").setBilling("prepaid").build());
        account(3, CreditsGranted.newBuilder().setConsumer("acme").setAmountMicros(10_000_000L).setIdempotencyKey("k1").build());
        account(3, CreditsGranted.newBuilder().setConsumer("acme").setAmountMicros(10_000_000L).setIdempotencyKey("k1").build());
    }

    static UsageAggregate hour(String meter, String start, long units, long events, long amountMicros) {
        return UsageAggregate.newBuilder().setConsumer("acme").setMeter(meter).setHourStart(Instant.parse(start)).setUnits(units)
                .setEvents(events).setAmountMicros(amountMicros).setCurrency("USD").setUpdatedAt(Instant.parse(start)).build();
    }

    static Balance balance(String period, long credits, long spent, Map<String, Long> usage) {
        return Balance.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active").setBilling("prepaid").setCurrency("USD")
                .setPeriod(period).setCreditsMicros(credits).setSpentMicros(spent).setRemainingMicros(credits - spent)
                .setUsage(usage).setAmounts(Map.of()).setMeters(Map.of()).setVersion(1).setUpdatedAt(Instant.EPOCH).build();
    }

    @Test
    void countsEachSourceAndIdOnceAndDropsEventsOlderThanTheWindow() {
        givenAcmeOnPro();
        event(3, "gw-1", "a", "acme", "2026-11-21T10:00:00Z", Map.of("requests", 1L, "input_tokens", 700_001L));
        event(3, "gw-1", "a", "acme", "2026-11-21T10:00:00Z", Map.of("requests", 1L, "input_tokens", 700_001L));
        event(3, "gw-2", "a", "acme", "2026-11-21T10:30:00Z", Map.of("requests", 1L));
        event(3, "gw-1", "b", "acme", "2026-11-21T11:00:00Z", Map.of("requests", 1L));
        event(3, "gw-1", "old", "acme", "2026-11-20T10:59:59Z", Map.of("requests", 1L));
        event(3, "gw-1", "neg", "acme", "2026-11-21T11:00:00Z", Map.of("requests", -1L));

        Reconciliation.Recomputed recomputed = Reconciliation.recompute(events, accounts, WINDOW);

        assertThat(recomputed.eventsCounted()).isEqualTo(3);
        assertThat(recomputed.duplicates()).isEqualTo(1);
        assertThat(recomputed.tooLate()).isEqualTo(1);
        assertThat(recomputed.invalid()).isEqualTo(1);
        assertThat(recomputed.grantedMicros()).containsExactly(Map.entry("acme", 10_000_000L));
        assertThat(recomputed.periodUnits("acme")).containsExactly(Map.entry("2026-11", Map.of("input_tokens", 700_001L, "requests", 3L)));
        // 700001 tokens at 0.50 per million = 0.3500005, half-up 0.350001; 1 billable request at 0.002.
        assertThat(recomputed.periodCharges("acme")).containsExactly(Map.entry("2026-11", Map.of("input_tokens", 350_001L, "requests", 2_000L)));
    }

    @Test
    void findsNoDifferenceWhenStreamsPublishedTheSame() {
        givenAcmeOnPro();
        event(3, "gw-1", "a", "acme", "2026-10-31T23:10:00Z", Map.of("requests", 5L));
        event(3, "gw-1", "b", "acme", "2026-11-21T10:00:00Z", Map.of("requests", 3L));
        event(3, "gw-1", "c", "acme", "2026-11-21T11:00:00Z", Map.of("requests", 1L));
        Reconciliation.Recomputed recomputed = Reconciliation.recompute(events, accounts, WINDOW);

        List<Reconciliation.Difference> differences = Reconciliation.compare(recomputed,
                List.of(hour("requests", "2026-10-31T23:00:00Z", 5, 1, 6_000),
                        hour("requests", "2026-11-21T10:00:00Z", 3, 1, 0),
                        hour("requests", "2026-11-21T10:00:00Z", 3, 1, 2_000),
                        hour("requests", "2026-11-21T11:00:00Z", 1, 1, 2_000)),
                List.of(balance("2026-11", 10_000_000L - 6_000, 4_000, Map.of("requests", 4L))));

        assertThat(differences).isEmpty();
    }

    @Test
    void aPostpaidConsumersCreditsAreItsGrantsWhateverItSpentInEarlierPeriods() {
        for (int p = 0; p < 6; p++) {
            account(p, PRO);
        }
        account(3, ConsumerUpdated.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active").setBilling("postpaid")
                .setSpendLimitMicros(50_000_000L).build());
        account(3, CreditsGranted.newBuilder().setConsumer("acme").setAmountMicros(10_000_000L).setIdempotencyKey("k1").build());
        event(3, "gw-1", "a", "acme", "2026-10-31T23:10:00Z", Map.of("requests", 5L));
        event(3, "gw-1", "b", "acme", "2026-11-21T10:00:00Z", Map.of("requests", 4L));
        Reconciliation.Recomputed recomputed = Reconciliation.recompute(events, accounts, WINDOW);
        List<UsageAggregate> hours = List.of(hour("requests", "2026-10-31T23:00:00Z", 5, 1, 6_000),
                hour("requests", "2026-11-21T10:00:00Z", 4, 1, 4_000));
        Balance published = Balance.newBuilder(balance("2026-11", 10_000_000L, 4_000, Map.of("requests", 4L))).setBilling("postpaid")
                .setSpendLimitMicros(50_000_000L).setRemainingMicros(50_000_000L - 4_000).build();
        Balance negativeAsBefore = Balance.newBuilder(published).setCreditsMicros(10_000_000L - 6_000).build();

        assertThat(Reconciliation.compare(recomputed, hours, List.of(published))).isEmpty();
        assertThat(Reconciliation.compare(recomputed, hours, List.of(negativeAsBefore))).extracting(Reconciliation.Difference::toString)
                .containsExactly("acme billing.balances 2026-11 credits: recomputed 10.00, published 9.994");
    }

    @Test
    void reportsEveryHourTotalAmountAndBalanceThatDisagrees() {
        givenAcmeOnPro();
        event(3, "gw-1", "a", "acme", "2026-11-21T10:00:00Z", Map.of("requests", 3L));
        event(3, "gw-1", "b", "acme", "2026-11-21T12:00:00Z", Map.of("requests", 1L));
        Reconciliation.Recomputed recomputed = Reconciliation.recompute(events, accounts, WINDOW);

        List<Reconciliation.Difference> differences = Reconciliation.compare(recomputed,
                List.of(hour("requests", "2026-11-21T10:00:00Z", 4, 2, 3_000)),
                List.of(balance("2026-11", 10_000_000L, 2_000, Map.of("requests", 3L))));

        assertThat(differences).extracting(Reconciliation.Difference::toString).containsExactly(
                "acme usage.hourly requests 2026-11-21T10:00:00Z units: recomputed 3, published 4",
                "acme usage.hourly requests 2026-11-21T10:00:00Z events: recomputed 1, published 2",
                "acme usage.hourly requests 2026-11-21T12:00:00Z units: recomputed 1, published missing",
                "acme usage.hourly requests 2026-11-21T12:00:00Z events: recomputed 1, published missing",
                "acme usage.hourly requests 2026-11 amount (sum of hours): recomputed 0.004, published 0.003",
                "acme billing.balances 2026-11 usage: recomputed {requests=4}, published {requests=3}",
                "acme billing.balances 2026-11 spent: recomputed 0.004, published 0.002",
                "acme billing.balances 2026-11 remaining: recomputed 9.996, published 9.998");
    }
}
