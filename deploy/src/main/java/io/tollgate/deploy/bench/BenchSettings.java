package io.tollgate.deploy.bench;

import java.time.Duration;

/**
 * What one benchmark run does.
 *
 * @param ingestRate          events per second into ingest, open loop, in the paced phases
 * @param rawShare            fraction of those events sent to the raw Kong topic; the rest go over HTTP
 * @param batchSize           entries per Kong http-log batch
 * @param decisionRate        decision requests per second, open loop, in the paced phases
 * @param decisionConnections keep-alive connections the decision requests share
 * @param warmup              paced load before measuring (JIT, connections, caches)
 * @param duration            length of each paced phase (Tollgate, then the nginx floor under the same load)
 * @param floorDuration       length of the paced Kafka floor
 * @param burstEvents         events of the saturated phase (Tollgate, then the Kafka floor)
 * @param consumers           funded consumers the events and the decisions are spread over
 * @param brokeConsumers      prepaid consumers without credits, asked about too (their answer is a 402)
 * @param probes              probe consumers measuring event-to-balance freshness
 * @param overspendCalls      credits of the overspend phase's consumer, in calls; each top-up adds a third of them
 * @param overspendDuration   length of the overspend phase
 */
record BenchSettings(double ingestRate, double rawShare, int batchSize, double decisionRate, int decisionConnections,
                     Duration warmup, Duration duration, Duration floorDuration, Duration capacityDuration, long burstEvents, int consumers,
                     int brokeConsumers, int probes, long overspendCalls, Duration overspendDuration) {
    static final int INGEST_CONNECTIONS = 8;

    BenchSettings {
        if (!(ingestRate > 0) || !(decisionRate > 0)) {
            throw new IllegalArgumentException("rates must be positive");
        }
        if (rawShare < 0 || rawShare > 1) {
            throw new IllegalArgumentException("--raw-share is a fraction between 0 and 1: " + rawShare);
        }
        if (batchSize < 1 || decisionConnections < 1 || consumers < 1 || probes < 1 || brokeConsumers < 0 || burstEvents < 1) {
            throw new IllegalArgumentException("batch size, connections, consumers, probes and burst events must be positive");
        }
        if (overspendCalls < 3 || overspendDuration.isNegative() || overspendDuration.isZero()) {
            throw new IllegalArgumentException("--overspend-calls must be at least 3 and --overspend-duration positive");
        }
    }

    /** One call in this many of the paced load may carry a probe, so that probes are spread through it. */
    int probeStride() {
        return (int) Math.max(1, Math.min(50, ingestRate / 200));
    }
}
