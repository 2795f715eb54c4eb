package io.tollgate.deploy.bench;

import java.time.Instant;
import java.util.List;

/**
 * Every figure of one run. {@code nginxDecisions} and {@code nginxCapacity} are null when nginx is not installed; {@code mismatches} lists each
 * consumer whose balance does not count exactly what Tollgate acknowledged (empty when all are exact); {@code overspend} is the
 * overspend phase's figures.
 */
record BenchResult(Instant startedAt, String machine, BenchSettings settings,
                   IngestLoad.Result pacedIngest, IngestLoad.Result nginxPhaseIngest,
                   DecisionLoad.Result decisions, DecisionLoad.Result nginxDecisions, String nginxMissing,
                   DecisionLoad.Result decisionCapacity, DecisionLoad.Result nginxCapacity,
                   Latency.Summary freshness, Latency.Summary freshnessHttp, Latency.Summary freshnessRaw,
                   KafkaFloor.Result kafkaPaced,
                   IngestLoad.Result burst, double burstEndToEndPerSecond, KafkaFloor.Result kafkaBurst,
                   List<ResourceSampler.Phase> phases, long acceptedEvents, int consumersChecked, List<String> mismatches,
                   OverspendPhase.Result overspend) {

    boolean exact() {
        return mismatches.isEmpty();
    }
}
