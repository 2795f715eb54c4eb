package io.tollgate.deploy.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class BenchReportTest {
    private static final BenchSettings SETTINGS = new BenchSettings(1_000, 0.5, 100, 2_000, 64, Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(15), Duration.ofSeconds(10), 100_000, 1_000, 50, 8, 3_000, Duration.ofSeconds(15));
    private static final OverspendPhase.Result EXACT = new OverspendPhase.Result("overspend-x", 3_000, 1_000, 50_000_000, 5_000, 41_000,
            0, 2_500, 2_500, 0, 5_000, 50_000_000, 0, List.of(1_500L, 3_500L), Duration.ofSeconds(15));

    @Test
    void formatsMillisecondsWithAPrecisionThatSuitsTheSize() {
        assertThat(BenchReport.ms(380)).isEqualTo("0.38 ms");
        assertThat(BenchReport.ms(26_400)).isEqualTo("26.4 ms");
        assertThat(BenchReport.ms(1_666_000)).isEqualTo("1,666 ms");
    }

    @Test
    void ratiosAreTollgateOverTheFloorOrADashWhenEitherIsMissing() {
        assertThat(BenchReport.ratio(2_000, 1_000)).isEqualTo("2.00\u00d7");
        assertThat(BenchReport.ratio(664_000, 4_510)).isEqualTo("147\u00d7");
        assertThat(BenchReport.ratio(0, 1_000)).isEqualTo("-");
        assertThat(BenchReport.ratio(1_000, 0)).isEqualTo("-");
    }

    @Test
    void theTablePutsEachFigureBesideItsFloor() {
        List<String> table = BenchReport.table(result(List.of()));

        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("ingest burst, end to end").contains("18,000 events/s")
                .contains("Kafka 40,000 events/s").contains("0.45\u00d7"));
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("event-to-balance freshness p99").contains("900 ms")
                .contains("Kafka produce-to-consume 9.00 ms").contains("100\u00d7"));
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("decision latency p99 ").contains("2.40 ms")
                .contains("nginx 1.20 ms").contains("2.00\u00d7"));
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("decisions, closed loop (capacity)").contains("50,000 /s")
                .contains("nginx 80,000 /s").contains("0.63\u00d7"));
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("  its latency p50 / p99 / p99.9").contains("0.80 ms / 3.00 ms / 9.00 ms")
                .contains("2.00\u00d7 at p99"));
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("billing-service").contains("0.25 / 300 MiB"));
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("all").contains("1.75 / 1,300 MiB"));
        assertThat(table.get(table.size() - 1)).isEqualTo(
                "Exactly once: all 60,000 acknowledged events are in the balances of their 1,008 consumers, none twice.");
    }

    @Test
    void theOverspendPhaseGivesCreditsCallsSpendAndOvershoot() {
        List<String> table = BenchReport.table(result(List.of()));

        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("overspend: 4 gateway connections (2 HTTP, 2 raw topic)")
                .contains("credits 50.00 (3,000 calls at 0.01, then two top-ups of 1,000 calls, sent at [1500, 3500] calls allowed)")
                .contains("5,000 calls allowed, 41,000 denied").contains("5,000 reported (2,500 HTTP, 2,500 raw topic, 0 refused), 5,000 counted")
                .contains("spent 50.00: overshoot 0.00 % of the credits granted (goal at most 0.1 %)")
                .doesNotContain("BEYOND"));
    }

    @Test
    void anOvershootBeyondTheGoalIsFlagged() {
        OverspendPhase.Result over = new OverspendPhase.Result("overspend-x", 3_000, 1_000, 50_000_000, 5_006, 41_000, 0, 2_503, 2_503, 0,
                5_006, 50_060_000, -60_000, List.of(1_500L, 3_500L), Duration.ofSeconds(15));

        assertThat(over.withinGoal()).isFalse();
        assertThat(EXACT.withinGoal()).isTrue();
        assertThat(OverspendPhase.line(over)).contains("overshoot 0.12 %");
    }

    @Test
    void readsWhatRemainsAfterAnOverspend() {
        assertThat(OverspendPhase.signedMicros("-0.33")).isEqualTo(-330_000);
        assertThat(OverspendPhase.signedMicros("12.50")).isEqualTo(12_500_000);
    }

    @Test
    void aMissingNginxAndACountMismatchAreSaidPlainly() {
        BenchResult r = result(List.of("bench-0001: acknowledged Units[requests=3, inputTokens=0, outputTokens=0], balance counts Units[requests=4, inputTokens=0, outputTokens=0]"));
        BenchResult noNginx = new BenchResult(r.startedAt(), r.machine(), r.settings(), r.pacedIngest(), null, r.decisions(), null,
                "nginx is not installed", r.decisionCapacity(), null, r.freshness(), r.freshnessHttp(), r.freshnessRaw(), r.kafkaPaced(), r.burst(),
                r.burstEndToEndPerSecond(), r.kafkaBurst(), r.phases(), r.acceptedEvents(), r.consumersChecked(), r.mismatches(), r.overspend());

        List<String> table = BenchReport.table(noNginx);

        assertThat(noNginx.exact()).isFalse();
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("decision latency p50").contains("not measured (no nginx)"));
        assertThat(table).anySatisfy(line -> assertThat(line).startsWith("decisions, closed loop (capacity)").contains("not measured (no nginx)"));
        assertThat(table).contains("COUNT MISMATCH in 1 of 1,008 consumers:");
        assertThat(table.get(table.size() - 1)).startsWith("  bench-0001: acknowledged");
    }

    private static BenchResult result(List<String> mismatches) {
        IngestLoad.Result paced = new IngestLoad.Result(1_000, 0, Duration.ofSeconds(30), 30_000, 30_000, 15_000, 15_000,
                Map.of(202, 150L), 0, new Latency.Summary(150, 20_000, 90_000, 95_000, 99_000), new Latency.Summary(15_000, 5_000, 30_000, 40_000, 50_000));
        IngestLoad.Result burst = new IngestLoad.Result(Double.NaN, 0, Duration.ofSeconds(4), 100_000, 100_000, 50_000, 50_000,
                Map.of(202, 500L), 0, Latency.Summary.NONE, Latency.Summary.NONE);
        DecisionLoad.Result decisions = new DecisionLoad.Result("billing-service", 2_000, Duration.ofSeconds(30), 60_000, 60_000,
                Map.of(200, 57_000L, 402, 3_000L), 0, new Latency.Summary(60_000, 400, 2_400, 9_000, 20_000));
        DecisionLoad.Result nginx = new DecisionLoad.Result("nginx", 2_000, Duration.ofSeconds(30), 60_000, 60_000,
                Map.of(200, 60_000L), 0, new Latency.Summary(60_000, 200, 1_200, 3_000, 5_000));
        KafkaFloor.Result kafkaPaced = new KafkaFloor.Result(1_000, 15_000, 15_000, Duration.ofSeconds(15), new Latency.Summary(15_000, 4_000, 9_000, 12_000, 15_000));
        KafkaFloor.Result kafkaBurst = new KafkaFloor.Result(Double.NaN, 100_000, 100_000, Duration.ofMillis(2_500), Latency.Summary.NONE);
        Map<String, ResourceSampler.Usage> usage = new LinkedHashMap<>();
        usage.put("kafka-broker", new ResourceSampler.Usage(0.5, 500L << 20));
        usage.put("billing-service", new ResourceSampler.Usage(0.25, 300L << 20));
        usage.put("tollgate bench (load generator)", new ResourceSampler.Usage(1.0, 500L << 20));
        DecisionLoad.Result capacity = new DecisionLoad.Result("billing-service", Double.NaN, Duration.ofSeconds(10), 500_000, 500_000,
                Map.of(200, 500_000L), 0, new Latency.Summary(500_000, 800, 3_000, 9_000, 20_000));
        DecisionLoad.Result nginxCapacity = new DecisionLoad.Result("nginx", Double.NaN, Duration.ofSeconds(10), 800_000, 800_000,
                Map.of(200, 800_000L), 0, new Latency.Summary(800_000, 500, 1_500, 4_000, 9_000));
        return new BenchResult(Instant.parse("2026-11-22T02:00:00Z"), "Linux, 2 cores", SETTINGS, paced, paced, decisions, nginx, null,
                capacity, nginxCapacity,
                new Latency.Summary(200, 600_000, 900_000, 950_000, 1_000_000), new Latency.Summary(100, 600_000, 900_000, 0, 0),
                new Latency.Summary(100, 600_000, 900_000, 0, 0), kafkaPaced, burst, 18_000, kafkaBurst,
                List.of(new ResourceSampler.Phase("Tollgate", Duration.ofSeconds(30), usage)), 60_000, 1_008, mismatches, EXACT);
    }
}
