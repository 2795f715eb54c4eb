package io.tollgate.streams.failover;

import io.tollgate.localstack.ApicurioRegistry;
import io.tollgate.localstack.KafkaBroker;
import io.tollgate.localstack.Ports;
import io.tollgate.streams.MeteringConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How long the balances of a SIGKILLed instance's consumers stay frozen, per configuration lever (not a test; command in
 * the module README). Starts its own broker (with the streams-group minimums lowered, which the streams rebalance protocol
 * needs for a short session) and an in-memory registry, then runs {@link FailoverRun} once per lever named in
 * {@code -Dfailover.levers} (default: all), with 24 consumers at {@code -Dfailover.rate} events/s (240).
 */
public final class FailoverBench {
    private FailoverBench() {
    }

    static Map<String, FailoverRun.Lever> levers() {
        Map<String, FailoverRun.Lever> levers = new LinkedHashMap<>();
        levers.put("classic-kafka-defaults", classic("classic-kafka-defaults", 45_000, 3_000, 10_000, 0));
        levers.put("classic-session-6s", classic("classic-session-6s", 6_000, 1_500, 10_000, 0));
        levers.put("classic-session-6s-tx-5s", classic("classic-session-6s-tx-5s", 6_000, 1_500, 5_000, 0));
        levers.put("classic-session-6s-tx-5s-standby", classic("classic-session-6s-tx-5s-standby", 6_000, 1_500, 5_000, 1));
        levers.put("classic-session-3s-tx-3s-standby", classic("classic-session-3s-tx-3s-standby", 3_000, 1_000, 3_000, 1));
        levers.put("streams-protocol-session-6s-tx-5s", new FailoverRun.Lever("streams-protocol-session-6s-tx-5s",
                Map.of(MeteringConfig.TRANSACTION_TIMEOUT_MS, "5000", MeteringConfig.NUM_STANDBYS, "0"),
                Map.of("group.protocol", "streams"),
                Map.of("streams.session.timeout.ms", "6000", "streams.heartbeat.interval.ms", "1500")));
        levers.put("streams-protocol-session-6s-tx-5s-standby", new FailoverRun.Lever("streams-protocol-session-6s-tx-5s-standby",
                Map.of(MeteringConfig.TRANSACTION_TIMEOUT_MS, "5000"),
                Map.of("group.protocol", "streams"),
                Map.of("streams.session.timeout.ms", "6000", "streams.heartbeat.interval.ms", "1500", "streams.num.standby.replicas", "1")));
        return levers;
    }

    static FailoverRun.Lever classic(String name, int sessionMs, int heartbeatMs, int transactionMs, int standbys) {
        return new FailoverRun.Lever(name, Map.of(
                MeteringConfig.SESSION_TIMEOUT_MS, Integer.toString(sessionMs),
                MeteringConfig.HEARTBEAT_INTERVAL_MS, Integer.toString(heartbeatMs),
                MeteringConfig.TRANSACTION_TIMEOUT_MS, Integer.toString(transactionMs),
                MeteringConfig.NUM_STANDBYS, Integer.toString(standbys)), Map.of(), Map.of());
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(System.getProperty("failover.jar", "target/metering-streams.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: ./mvnw -o -q -pl metering-streams -am package -DskipTests");
        }
        Path work = Files.createTempDirectory("failover-bench");
        Map<String, String> brokerOverrides = new LinkedHashMap<>(Map.of(
                "group.min.session.timeout.ms", "3000",
                "group.streams.min.session.timeout.ms", "3000", "group.streams.min.heartbeat.interval.ms", "500"));
        String cleanup = System.getProperty("failover.broker.transaction.cleanup.ms");
        if (cleanup != null) {
            brokerOverrides.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", cleanup);
        }
        KafkaBroker broker = new KafkaBroker(KafkaBroker.Settings.onFreePorts(work.resolve("broker")).withOverrides(brokerOverrides));
        System.out.println("broker overrides: " + brokerOverrides);
        ApicurioRegistry registry = new ApicurioRegistry(ApicurioRegistry.Settings.inMemory(work.resolve("registry"), Ports.free()));
        List<String> report = new ArrayList<>();
        try {
            broker.start();
            registry.start();
            FailoverRun run = new FailoverRun(broker.bootstrapServers(), registry.confluentUrl(), work, jar);
            Map<String, FailoverRun.Lever> all = levers();
            String chosen = System.getProperty("failover.levers", String.join(",", all.keySet()));
            int rate = Integer.getInteger("failover.rate", 240);
            Duration observe = Duration.ofSeconds(Integer.getInteger("failover.observe.seconds", 90));
            for (String name : chosen.split(",")) {
                FailoverRun.Lever lever = all.get(name.trim());
                if (lever == null) {
                    throw new IllegalArgumentException("unknown lever " + name + "; known: " + all.keySet());
                }
                try {
                    FailoverRun.Result result = run.measure(lever, 24, rate, Duration.ofSeconds(10), observe);
                    report.add(result.summary());
                    System.out.println(result.summary());
                    System.out.println("  per consumer (ms): " + result.stallMs() + "; killed instance hosted " + result.victimConsumers());
                } catch (Exception | AssertionError e) {
                    report.add(String.format("%-28s failed: %s", lever.name(), e));
                    System.out.println(report.get(report.size() - 1));
                }
            }
        } finally {
            registry.stop();
            broker.stop();
        }
        System.out.println();
        System.out.printf("== metering-streams fail-over, 2 instances, 24 consumers, %d events/s, broker %s, %d cores, load average %.1f ==%n",
                Integer.getInteger("failover.rate", 240), brokerOverrides, Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        report.forEach(System.out::println);
    }
}
