package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.schemas.money.Money;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class DemoTrafficTest {
    private static final Instant NOW = Instant.parse("2026-11-21T10:00:00Z");
    private final ObjectMapper json = new ObjectMapper();

    private DemoTraffic traffic() {
        return new DemoTraffic(new GatewayPayloads(json), 8_402L);
    }

    @Test
    void initechRunsOutOfItsCreditsInRoundTwoNotBefore() {
        DemoTraffic traffic = traffic();
        SentLedger ledger = new SentLedger();
        long credits = Money.parseMicros(DemoConsumer.INITECH.credits());

        ledger.record(calls(traffic.round(1, NOW)));
        long spentAfterOne = DemoPlan.chargeMicros(ledger.expectedUnits("initech"));
        ledger.record(calls(traffic.round(2, NOW)));
        long spentAfterTwo = DemoPlan.chargeMicros(ledger.expectedUnits("initech"));

        assertThat(spentAfterOne).isEqualTo(30_000L);
        assertThat(credits - spentAfterOne).isPositive();
        assertThat(spentAfterTwo).isEqualTo(60_000L);
        assertThat(credits - spentAfterTwo).isNegative();
    }

    @Test
    void nobodyElseRunsOutAndAcmePassesItsIncludedRequests() {
        DemoTraffic traffic = traffic();
        SentLedger ledger = new SentLedger();
        for (int round = 1; round <= DemoTraffic.ROUNDS; round++) {
            ledger.record(calls(traffic.round(round, NOW)));
        }

        assertThat(ledger.expectedUnits("acme").get("requests")).isEqualTo(4 * (6 * 60 - 2L));
        assertThat(DemoPlan.chargeMicros(ledger.expectedUnits("acme"))).isEqualTo((1432 - 1000) * 2_000L);
        for (DemoConsumer consumer : List.of(DemoConsumer.ACME, DemoConsumer.UMBRELLA)) {
            assertThat(Money.parseMicros(consumer.credits()) - DemoPlan.chargeMicros(ledger.expectedUnits(consumer.id())))
                    .as(consumer.id()).isGreaterThan(1_000_000L);
        }
        assertThat(DemoPlan.chargeMicros(ledger.expectedUnits("globex"))).isLessThan(Money.parseMicros("500.00"));
        assertThat(ledger.expectedUnits("umbrella").get("output_tokens")).isLessThan(5_000_000L);
    }

    @Test
    void repeatsDeliveriesByHttpAndThroughTheOtherPathAndNothingElse() {
        DemoTraffic traffic = traffic();
        SentLedger ledger = new SentLedger();
        Set<String> ids = new HashSet<>();
        List<String> duplicateLabels = new ArrayList<>();
        for (int round = 1; round <= DemoTraffic.ROUNDS; round++) {
            for (Delivery delivery : traffic.round(round, NOW)) {
                boolean repeat = delivery.calls().stream().anyMatch(call -> !ids.add(call.id()));
                assertThat(repeat).as(delivery.label()).isEqualTo(delivery.label().startsWith("duplicate"));
                if (repeat) {
                    duplicateLabels.add(round + ": " + delivery.label() + " / " + (delivery instanceof Delivery.Http ? "http" : "topic"));
                }
                ledger.record(delivery.calls());
            }
        }

        assertThat(duplicateLabels).containsExactly(
                "1: duplicate: canonical batch retried by the client (initech) / http",
                "2: duplicate: Kong batch of 60 again, via the topic (acme) / topic",
                "3: duplicate: Kong http-log retries a batch of 60 (acme) / http",
                "3: duplicate: APISIX batch of 50 again, via the topic (globex) / topic",
                "4: duplicate: Kong AI Proxy log produced twice (umbrella) / topic");
        assertThat(ledger.duplicates()).isEqualTo(4 + 60 + 60 + 50 + 1);
        assertThat(ledger.gatewayGenerated()).isEqualTo(4 * 2);
    }

    @Test
    void sameSeedTellsTheSameStoryWithNewCallIds() {
        List<Delivery> first = traffic().round(1, NOW);
        List<Delivery> second = traffic().round(1, NOW);

        assertThat(first).extracting(Delivery::label).isEqualTo(second.stream().map(Delivery::label).toList());
        assertThat(tokens(first)).isEqualTo(tokens(second));
        assertThat(first.get(0).calls().get(0).id()).isNotEqualTo(second.get(0).calls().get(0).id());
    }

    @Test
    void timesEveryCallJustBeforeNowAndNeverInThePreviousMonth() {
        Instant firstSecondOfMonth = Instant.parse("2026-12-01T00:00:01Z");

        List<GatewayCall> calls = calls(traffic().round(1, firstSecondOfMonth));

        assertThat(calls).allSatisfy(call -> assertThat(call.startedAt())
                .isBetween(Instant.parse("2026-12-01T00:00:00Z"), firstSecondOfMonth));
    }

    private static List<GatewayCall> calls(List<Delivery> deliveries) {
        return deliveries.stream().flatMap(delivery -> delivery.calls().stream()).toList();
    }

    private static List<Map<String, Long>> tokens(List<Delivery> deliveries) {
        return calls(deliveries).stream().map(GatewayCall::billedMeters).toList();
    }
}
