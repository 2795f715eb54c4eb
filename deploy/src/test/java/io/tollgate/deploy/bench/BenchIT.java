package io.tollgate.deploy.bench;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code ./tollgate bench} in-process, small and short, against the service jars of this build. */
@Tag("integration")
class BenchIT {

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void measuresEveryFigureAndFloorFindsEveryAcknowledgedEventInTheBalancesOnceAndNoOverspend() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        BenchCommand command = new BenchCommand(out);

        int exit = new CommandLine(command).execute("--ingest-rate", "300", "--decision-rate", "300", "--connections", "4",
                "--warmup", "20", "--duration", "10", "--floor-duration", "2", "--capacity-duration", "2", "--burst", "2000",
                "--consumers", "200", "--broke-consumers", "2", "--probes", "8", "--overspend-calls", "600", "--overspend-duration", "10");

        String output = printed.toString(StandardCharsets.UTF_8);
        System.out.println(output);
        assertThat(exit).as("exit code; output:%n%s", output).isZero();
        BenchResult r = command.result;

        assertThat(r.pacedIngest().sent()).isEqualTo(3_000);
        assertThat(r.pacedIngest().accepted()).isEqualTo(3_000);
        assertThat(r.pacedIngest().failures()).isZero();
        assertThat(r.pacedIngest().viaHttp() + r.pacedIngest().viaRawTopic()).isEqualTo(3_000);
        assertThat(r.pacedIngest().viaHttp()).isPositive();
        assertThat(r.pacedIngest().viaRawTopic()).isPositive();
        assertThat(r.burst().accepted()).isEqualTo(2_000);
        assertThat(r.burstEndToEndPerSecond()).isPositive();

        List<String> asked = BenchRun.decisionConsumers(
                IntStream.range(0, 200).mapToObj(BenchTraffic::consumerName).toList(), List.of("broke-000", "broke-001"));
        long broke = LongStream.range(0, 3_000).filter(n -> asked.get((int) (n % asked.size())).startsWith("broke")).count();
        assertThat(r.decisions().sent()).isEqualTo(3_000);
        assertThat(r.decisions().answered()).isEqualTo(3_000);
        assertThat(r.decisions().errors()).isZero();
        assertThat(r.decisions().status(402)).isEqualTo(broke);
        assertThat(r.decisions().status(200)).isEqualTo(3_000 - broke);
        assertThat(r.decisions().latency().count()).isEqualTo(3_000);

        assertThat(r.decisionCapacity().answered()).isPositive();
        assertThat(r.decisionCapacity().errors()).isZero();
        assertThat(r.decisionCapacity().status(200) + r.decisionCapacity().status(402)).isEqualTo(r.decisionCapacity().answered());
        assertThat(r.decisionCapacity().latency().count()).isEqualTo(r.decisionCapacity().answered());

        if (NginxFloor.binary().isPresent()) {
            assertThat(r.nginxDecisions().status(200)).isEqualTo(3_000);
            assertThat(r.nginxPhaseIngest().accepted()).isEqualTo(3_000);
            assertThat(r.nginxCapacity().status(200)).isEqualTo(r.nginxCapacity().answered()).isPositive();
        } else {
            assertThat(r.nginxDecisions()).isNull();
            assertThat(output).contains("nginx is not installed");
        }

        assertThat(r.freshness().count()).isPositive();
        // Each path's share of the samples varies from run to run (a raw-topic probe can take seconds right after start).
        assertThat(r.freshnessHttp().count() + r.freshnessRaw().count()).isEqualTo(r.freshness().count());
        assertThat(r.freshness().p50()).isPositive();
        assertThat(r.kafkaPaced().events()).isEqualTo(600);
        assertThat(r.kafkaPaced().consumed()).isEqualTo(600);
        assertThat(r.kafkaBurst().consumed()).isEqualTo(2_000);

        assertThat(r.exact()).isTrue();
        assertThat(r.consumersChecked()).as("funded and probe consumers").isEqualTo(208);
        assertThat(r.phases()).extracting(ResourceSampler.Phase::name).containsExactlyElementsOf(NginxFloor.binary().isPresent()
                ? List.of("Tollgate", "nginx floor", "nginx, closed loop", "decisions, closed loop", "Kafka floor", "burst", "Kafka floor burst")
                : List.of("Tollgate", "decisions, closed loop", "Kafka floor", "burst", "Kafka floor burst"));
        assertThat(r.phases().get(0).processes()).containsKeys("kafka-broker", "schema-registry", "metering-ingest",
                "metering-streams", "billing-service", "tollgate bench (load generator)");
        assertThat(r.phases().get(0).processes().get("billing-service").peakRssBytes()).isGreaterThan(50L << 20);
        OverspendPhase.Result overspend = r.overspend();
        assertThat(overspend.grantedMicros()).as("600 calls, then two top-ups of 200, at 0.01").isEqualTo(10_000_000);
        assertThat(overspend.topUpsAtAllowed()).hasSize(2);
        assertThat(overspend.allowedCalls()).as("the top-ups were used").isGreaterThan(600);
        assertThat(overspend.deniedCalls()).as("the gateways ran into the limit").isPositive();
        assertThat(overspend.decisionErrors()).isZero();
        assertThat(overspend.reportsRefused()).isZero();
        assertThat(overspend.reportedViaHttp()).isPositive();
        assertThat(overspend.reportedViaRawTopic()).isPositive();
        assertThat(overspend.reportedViaHttp() + overspend.reportedViaRawTopic()).isEqualTo(overspend.allowedCalls());
        assertThat(overspend.countedCalls()).isEqualTo(overspend.allowedCalls());
        assertThat(overspend.spentMicros()).isEqualTo(overspend.allowedCalls() * OverspendPhase.CALL_MICROS);
        assertThat(overspend.overshoot()).as("one instance, every allowed call reported with an honest estimate")
                .isLessThanOrEqualTo(OverspendPhase.GOAL);
        assertThat(output).contains("overspend: 4 gateway connections (2 HTTP, 2 raw topic)")
                .contains(String.format("%,d calls allowed", overspend.allowedCalls()));
        assertThat(output).contains("Tollgate / floor").contains("event-to-balance freshness p99")
                .contains("Exactly once: all " + String.format("%,d", r.acceptedEvents()) + " acknowledged events")
                .doesNotContain("BENCH FAILED");
    }
}
