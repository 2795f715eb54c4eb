package io.tollgate.deploy.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** The benchmark's printed results: one line per phase as it ends, then the table of figures and floors. */
final class BenchReport {
    private BenchReport() {
    }

    static String ingestLine(IngestLoad.Result r) {
        return String.format(Locale.ROOT, "ingest: %,d sent, %,d accepted (%,d HTTP, %,d raw topic), %,.0f accepted/s, %s;"
                        + " 202 after p50 %s p99 %s; broker ack p50 %s p99 %s",
                r.sent(), r.accepted(), r.viaHttp(), r.viaRawTopic(), r.acceptedPerSecond(), statuses(r.httpStatuses(), r.failures()),
                ms(r.httpAck().p50()), ms(r.httpAck().p99()), ms(r.rawAck().p50()), ms(r.rawAck().p99()));
    }

    static String decisionLine(DecisionLoad.Result r) {
        return String.format(Locale.ROOT, "decisions (%s): %,d sent, %,.0f answered/s, %s, %,d errors; p50 %s p99 %s p99.9 %s max %s",
                r.target(), r.sent(), r.throughput(), statuses(r.statuses(), -1), r.errors(), ms(r.latency().p50()),
                ms(r.latency().p99()), ms(r.latency().p999()), ms(r.latency().max()));
    }

    static String floorLine(KafkaFloor.Result r) {
        return String.format(Locale.ROOT, "Kafka floor: %,d produced, %,d consumed, %,.0f consumed/s; produce-to-consume p50 %s p99 %s",
                r.events(), r.consumed(), r.consumedPerSecond(), ms(r.latency().p50()), ms(r.latency().p99()));
    }

    private static String statuses(Map<Integer, Long> statuses, long failures) {
        String answers = statuses.entrySet().stream()
                .map(e -> (e.getKey() < 0 ? "no answer" : String.valueOf(e.getKey())) + "\u00d7" + String.format(Locale.ROOT, "%,d", e.getValue()))
                .collect(Collectors.joining(" "));
        if (answers.isEmpty()) {
            answers = "no HTTP answers";
        }
        return failures >= 0 ? answers + ", " + String.format(Locale.ROOT, "%,d", failures) + " events refused or failed" : answers;
    }

    /** Microseconds as milliseconds with a precision that suits the size. */
    static String ms(long micros) {
        if (micros < 10_000) {
            return String.format(Locale.ROOT, "%.2f ms", micros / 1000.0);
        }
        if (micros < 100_000) {
            return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
        }
        return String.format(Locale.ROOT, "%,d ms", Math.round(micros / 1000.0));
    }

    /** Tollgate's figure over the floor's, or "-" when either is missing. */
    static String ratio(double tollgate, double floor) {
        if (!(tollgate > 0) || !(floor > 0)) {
            return "-";
        }
        double r = tollgate / floor;
        return String.format(Locale.ROOT, r >= 10 ? "%.0f\u00d7" : "%.2f\u00d7", r);
    }

    static List<String> table(BenchResult r) {
        List<String> lines = new ArrayList<>();
        BenchSettings s = r.settings();
        lines.add("Tollgate bench, " + r.startedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " on " + r.machine());
        lines.add(String.format(Locale.ROOT, "Load: ingest %,.0f events/s open loop (%.0f%% Kong kafka-log records on the raw topic, %.0f%% Kong"
                        + " http-log batches of %d; 3 in 10 LLM calls with tokens) over %,d consumers; decisions %,.0f/s open loop over %d"
                        + " connections; %d s per phase after %d s warm-up; burst of %,d events.",
                s.ingestRate(), s.rawShare() * 100, (1 - s.rawShare()) * 100, s.batchSize(), s.consumers(), s.decisionRate(),
                s.decisionConnections(), s.duration().toSeconds(), s.warmup().toSeconds(), s.burstEvents()));
        lines.add("");
        String row = "%-44s %-22s %-30s %s";
        lines.add(String.format(Locale.ROOT, row, "figure", "Tollgate", "floor", "Tollgate / floor"));
        IngestLoad.Result paced = r.pacedIngest();
        lines.add(String.format(Locale.ROOT, row, "ingest accepted at the set rate", perSecond(paced.acceptedPerSecond(), "events/s"),
                "(set rate " + perSecond(s.ingestRate(), "events/s") + ")", "-"));
        lines.add(String.format(Locale.ROOT, row, "ingest burst, accepted (202 or broker ack)", perSecond(r.burst().acceptedPerSecond(), "events/s"),
                "Kafka " + perSecond(r.kafkaBurst().consumedPerSecond(), "events/s"),
                ratio(r.burst().acceptedPerSecond(), r.kafkaBurst().consumedPerSecond())));
        lines.add(String.format(Locale.ROOT, row, "ingest burst, end to end (counted in balances)", perSecond(r.burstEndToEndPerSecond(), "events/s"),
                "Kafka " + perSecond(r.kafkaBurst().consumedPerSecond(), "events/s"),
                ratio(r.burstEndToEndPerSecond(), r.kafkaBurst().consumedPerSecond())));
        Latency.Summary f = r.freshness();
        Latency.Summary k = r.kafkaPaced().latency();
        lines.add(String.format(Locale.ROOT, row, "event-to-balance freshness p50 (" + f.count() + " probes)", ms(f.p50()),
                "Kafka produce-to-consume " + ms(k.p50()), ratio(f.p50(), k.p50())));
        lines.add(String.format(Locale.ROOT, row, "event-to-balance freshness p99", ms(f.p99()), "Kafka produce-to-consume " + ms(k.p99()), ratio(f.p99(), k.p99())));
        lines.add(String.format(Locale.ROOT, row, "  via HTTP p50 / p99 (" + r.freshnessHttp().count() + " probes)",
                ms(r.freshnessHttp().p50()) + " / " + ms(r.freshnessHttp().p99()), "", ""));
        lines.add(String.format(Locale.ROOT, row, "  via raw topic p50 / p99 (" + r.freshnessRaw().count() + " probes)",
                ms(r.freshnessRaw().p50()) + " / " + ms(r.freshnessRaw().p99()), "", ""));
        DecisionLoad.Result d = r.decisions();
        DecisionLoad.Result n = r.nginxDecisions();
        String none = r.nginxMissing() == null ? "-" : "not measured (no nginx)";
        lines.add(String.format(Locale.ROOT, row, "decisions answered", perSecond(d.throughput(), "/s"),
                n == null ? none : "nginx " + perSecond(n.throughput(), "/s"), n == null ? "-" : ratio(d.throughput(), n.throughput())));
        lines.add(String.format(Locale.ROOT, row, "decision latency p50", ms(d.latency().p50()),
                n == null ? none : "nginx " + ms(n.latency().p50()), n == null ? "-" : ratio(d.latency().p50(), n.latency().p50())));
        lines.add(String.format(Locale.ROOT, row, "decision latency p99", ms(d.latency().p99()),
                n == null ? none : "nginx " + ms(n.latency().p99()), n == null ? "-" : ratio(d.latency().p99(), n.latency().p99())));
        lines.add(String.format(Locale.ROOT, row, "decision latency p99.9", ms(d.latency().p999()),
                n == null ? none : "nginx " + ms(n.latency().p999()), n == null ? "-" : ratio(d.latency().p999(), n.latency().p999())));
        DecisionLoad.Result c = r.decisionCapacity();
        DecisionLoad.Result nc = r.nginxCapacity();
        lines.add(String.format(Locale.ROOT, row, "decisions, closed loop (capacity)", perSecond(c.throughput(), "/s"),
                nc == null ? none : "nginx " + perSecond(nc.throughput(), "/s"), nc == null ? "-" : ratio(c.throughput(), nc.throughput())));
        lines.add(String.format(Locale.ROOT, row, "  its latency p50 / p99 / p99.9", ms(c.latency().p50()) + " / " + ms(c.latency().p99())
                + " / " + ms(c.latency().p999()), nc == null ? none : "nginx " + ms(nc.latency().p50()) + " / " + ms(nc.latency().p99())
                + " / " + ms(nc.latency().p999()), nc == null ? "-" : ratio(c.latency().p99(), nc.latency().p99()) + " at p99"));
        lines.add(String.format(Locale.ROOT, row, "decision answers", statuses(d.statuses(), -1) + (d.errors() > 0 ? ", " + d.errors() + " errors" : ""), "", ""));
        lines.add("");
        lines.addAll(resources(r.phases()));
        lines.add("");
        lines.add(OverspendPhase.line(r.overspend()) + (r.overspend().withinGoal() ? "" : "  OVERSPEND BEYOND THE GOAL"));
        lines.add("");
        if (r.exact()) {
            lines.add(String.format(Locale.ROOT, "Exactly once: all %,d acknowledged events are in the balances of their %,d consumers, none twice.",
                    r.acceptedEvents(), r.consumersChecked()));
        } else {
            lines.add(String.format(Locale.ROOT, "COUNT MISMATCH in %,d of %,d consumers:", r.mismatches().size(), r.consumersChecked()));
            r.mismatches().stream().limit(20).forEach(m -> lines.add("  " + m));
        }
        return lines;
    }

    static List<String> resources(List<ResourceSampler.Phase> phases) {
        List<String> lines = new ArrayList<>();
        Set<String> processes = new LinkedHashSet<>();
        phases.forEach(p -> processes.addAll(p.processes().keySet()));
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-34s", "CPU (cores) / peak RSS"));
        phases.forEach(p -> header.append(String.format(Locale.ROOT, " %-20s", p.name() + " (" + p.wall().toSeconds() + " s)")));
        lines.add(header.toString());
        for (String process : processes) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-34s", process));
            for (ResourceSampler.Phase phase : phases) {
                ResourceSampler.Usage usage = phase.processes().get(process);
                line.append(String.format(Locale.ROOT, " %-20s", usage == null ? "-"
                        : String.format(Locale.ROOT, "%.2f / %,d MiB", usage.cores(), usage.peakRssBytes() / (1024 * 1024))));
            }
            lines.add(line.toString());
        }
        StringBuilder total = new StringBuilder(String.format(Locale.ROOT, "%-34s", "all"));
        phases.forEach(p -> total.append(String.format(Locale.ROOT, " %-20s", String.format(Locale.ROOT, "%.2f / %,d MiB",
                p.processes().values().stream().mapToDouble(ResourceSampler.Usage::cores).sum(),
                p.processes().values().stream().mapToLong(ResourceSampler.Usage::peakRssBytes).sum() / (1024 * 1024)))));
        lines.add(total.toString());
        return lines;
    }

    private static String perSecond(double value, String unit) {
        return String.format(Locale.ROOT, "%,.0f %s", value, unit);
    }
}
