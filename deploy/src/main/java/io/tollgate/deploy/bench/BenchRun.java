package io.tollgate.deploy.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.deploy.demo.GatewayPayloads;
import io.tollgate.deploy.demo.TollgateApi;
import io.tollgate.schemas.topics.Topics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * One benchmark run against a running stack, phase by phase:
 * <ol>
 *   <li>set-up: a plan, funded consumers, probe consumers and a few without credits;</li>
 *   <li>warm-up: the paced ingest and decision loads, not measured;</li>
 *   <li>Tollgate: ingest at the set rate (HTTP and raw topic) while gateways ask billing-service for decisions at the
 *       set rate; freshness probes ride along;</li>
 *   <li>nginx floor: the same ingest load, the same decision load pointed at nginx's static 200;</li>
 *   <li>decision capacity: closed loop over the same connections, no ingest, nginx then billing-service;</li>
 *   <li>Kafka floor: the same events at the same rate through one produce and one consume on the same broker;</li>
 *   <li>burst: a fixed number of events as fast as Tollgate takes them, timed until the balances count them all;
 *       then the same events through the Kafka floor;</li>
 *   <li>check: every consumer's balance counts exactly what Tollgate acknowledged;</li>
 *   <li>overspend: gateways that ask before every call hammer one prepaid consumer through HTTP and the raw topic while
 *       it is topped up twice ({@link OverspendPhase}).</li>
 * </ol>
 */
final class BenchRun {
    static final String PLAN = "bench";
    static final String CREDITS = "1000000.00";

    /** Where the stack under test answers, and the processes to sample. */
    record Target(String ingestUrl, String billingUrl, String bootstrapServers, String schemaRegistryUrl, String adminToken,
                  String decisionToken, Map<String, Long> processIds, Path workDir) {
    }

    private final BenchSettings settings;
    private final Target target;
    private final PrintStream out;
    private final ObjectMapper json = new ObjectMapper();

    BenchRun(BenchSettings settings, Target target, PrintStream out) {
        this.settings = settings;
        this.target = target;
        this.out = out;
    }

    BenchResult run() throws IOException {
        Instant startedAt = Instant.now();
        GatewayPayloads payloads = new GatewayPayloads(json);
        BenchTraffic traffic = new BenchTraffic(payloads, settings.consumers(), startedAt.toEpochMilli() ^ ProcessHandle.current().pid());
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(1));
        URI billing = URI.create(target.billingUrl());
        ExpectedUsage expected = new ExpectedUsage();
        List<ResourceSampler.Phase> phases = new ArrayList<>();
        try (FreshnessProbes probes = new FreshnessProbes(payloads, settings.probes(), vertx, billing, target.adminToken());
             ResourceSampler sampler = new ResourceSampler()) {
            List<String> broke = setUp(traffic.consumers(), probes.consumers());
            List<String> asked = decisionConsumers(traffic.consumers(), broke);
            target.processIds().forEach((name, pid) -> sampler.watch(name, pid, false));
            sampler.watch("tollgate bench (load generator)", ProcessHandle.current().pid(), false);

            try (BalanceWatcher balances = new BalanceWatcher(target.bootstrapServers(), target.schemaRegistryUrl());
                 IngestLoad ingest = new IngestLoad(vertx, URI.create(target.ingestUrl()), target.bootstrapServers(),
                         Topics.KONG_LOGS.name(), traffic, probes, expected, settings.batchSize(), settings.rawShare(),
                         BenchSettings.INGEST_CONNECTIONS, settings.probeStride());
                 KafkaFloor kafka = new KafkaFloor(target.bootstrapServers(), traffic)) {
                DecisionLoad decisions = new DecisionLoad(vertx, settings.decisionConnections(), asked, target.decisionToken());
                URI authorize = billing.resolve("/v1/authorize");
                probes.start();

                step("Warm-up: %s", paced(settings.warmup()));
                both(() -> ingest.paced(settings.ingestRate(), settings.warmup()),
                        () -> decisions.run("billing-service", authorize, settings.decisionRate(), settings.warmup()));

                step("Tollgate: %s, decisions from billing-service", paced(settings.duration()));
                probes.recording(true);
                sampler.begin("Tollgate");
                Pair<IngestLoad.Result, DecisionLoad.Result> tollgate = both(
                        () -> ingest.paced(settings.ingestRate(), settings.duration()),
                        () -> decisions.run("billing-service", authorize, settings.decisionRate(), settings.duration()));
                phases.add(sampler.end());
                probes.recording(false);
                out.println("  " + BenchReport.ingestLine(tollgate.first()));
                out.println("  " + BenchReport.decisionLine(tollgate.second()));

                Pair<IngestLoad.Result, DecisionLoad.Result> nginxPhase = null;
                DecisionLoad.Result nginxCapacity = null;
                String nginxMissing = null;
                var nginxBinary = NginxFloor.binary();
                if (nginxBinary.isEmpty()) {
                    nginxMissing = "nginx is not installed (apt-get install nginx): the HTTP floor was not measured";
                    out.println("== " + nginxMissing);
                } else {
                    step("nginx floor: %s, the same decision load answered by nginx `return 200`", paced(settings.duration()));
                    try (NginxFloor nginx = NginxFloor.start(nginxBinary.get(), target.workDir().resolve("nginx-floor"),
                            io.tollgate.localstack.Ports.free(), Runtime.getRuntime().availableProcessors())) {
                        sampler.watch("nginx (floor)", nginx.pid(), true);
                        decisions.run("nginx", nginx.url(), settings.decisionRate(), Duration.ofSeconds(2)); // its connections, opened
                        sampler.begin("nginx floor");
                        nginxPhase = both(() -> ingest.paced(settings.ingestRate(), settings.duration()),
                                () -> decisions.run("nginx", nginx.url(), settings.decisionRate(), settings.duration()));
                        phases.add(sampler.end());
                        out.println("  " + BenchReport.decisionLine(nginxPhase.second()));
                        step("Waiting for the balances to count the %,d events accepted so far", expected.events());
                        awaitBalances(balances, expected.events());
                        step("Decision capacity, nginx: closed loop over %d connections for %d s, no ingest",
                                settings.decisionConnections(), settings.capacityDuration().toSeconds());
                        sampler.begin("nginx, closed loop");
                        nginxCapacity = decisions.saturate("nginx", nginx.url(), settings.capacityDuration());
                        phases.add(sampler.end());
                        out.println("  " + BenchReport.decisionLine(nginxCapacity));
                        sampler.forget("nginx (floor)");
                    }
                }

                if (nginxBinary.isEmpty()) {
                    step("Waiting for the balances to count the %,d events accepted so far", expected.events());
                    awaitBalances(balances, expected.events());
                }
                step("Decision capacity, billing-service: closed loop over %d connections for %d s, no ingest",
                        settings.decisionConnections(), settings.capacityDuration().toSeconds());
                sampler.begin("decisions, closed loop");
                DecisionLoad.Result decisionCapacity = decisions.saturate("billing-service", authorize, settings.capacityDuration());
                phases.add(sampler.end());
                out.println("  " + BenchReport.decisionLine(decisionCapacity));

                step("Kafka floor: the same events at %,.0f/s, produced and consumed on the same broker for %d s",
                        settings.ingestRate(), settings.floorDuration().toSeconds());
                sampler.begin("Kafka floor");
                KafkaFloor.Result kafkaPaced = kafka.paced(settings.ingestRate(), settings.floorDuration());
                phases.add(sampler.end());
                out.println("  " + BenchReport.floorLine(kafkaPaced));

                step("Burst: %,d events as fast as Tollgate takes them, until the balances count them all", settings.burstEvents());
                IngestLoad.Burst burst = ingest.prepare(settings.burstEvents());
                long before = expected.events();
                sampler.begin("burst");
                IngestLoad.Result burstResult = ingest.saturate(burst);
                long counted = balances.awaitTotalRequests(before + burstResult.accepted(), Duration.ofMinutes(5));
                phases.add(sampler.end());
                double endToEnd = counted < 0 ? 0 : burstResult.accepted() * 1e9 / (counted - burstResult.startNanos());
                out.println("  " + BenchReport.ingestLine(burstResult) + String.format(Locale.ROOT,
                        "; all counted in balances after %.1f s: %,.0f events/s end to end",
                        counted < 0 ? Double.NaN : (counted - burstResult.startNanos()) / 1e9, endToEnd));

                step("Kafka floor burst: the same %,d events, produced and consumed", settings.burstEvents());
                sampler.begin("Kafka floor burst");
                KafkaFloor.Result kafkaBurst = kafka.saturate(settings.burstEvents());
                phases.add(sampler.end());
                out.println("  " + BenchReport.floorLine(kafkaBurst));

                step("Checking every balance against what Tollgate acknowledged (%,d events)", expected.events());
                awaitBalances(balances, expected.events());
                Map<String, ExpectedUsage.Units> want = expected.snapshot();
                Map<String, ExpectedUsage.Units> got = balances.snapshot();
                List<String> mismatches = new ArrayList<>();
                want.forEach((consumer, units) -> {
                    ExpectedUsage.Units seen = got.getOrDefault(consumer, new ExpectedUsage.Units(0, 0, 0));
                    if (!seen.equals(units)) {
                        mismatches.add(consumer + ": acknowledged " + units + ", balance counts " + seen);
                    }
                });

                step("Overspend: %d gateway connections (%d HTTP, %d raw topic) hammer one prepaid consumer with credits for %,d calls,"
                                + " topped up twice, for %d s", OverspendPhase.GATEWAYS, OverspendPhase.GATEWAYS / 2, OverspendPhase.GATEWAYS / 2,
                        settings.overspendCalls(), settings.overspendDuration().toSeconds());
                OverspendPhase.Result overspend = new OverspendPhase(json, api(), target, out)
                        .run(settings.overspendCalls(), settings.overspendDuration());
                out.println("  " + OverspendPhase.line(overspend));
                return new BenchResult(startedAt, machine(), settings, tollgate.first(), nginxPhase == null ? null : nginxPhase.first(),
                        tollgate.second(), nginxPhase == null ? null : nginxPhase.second(), nginxMissing, decisionCapacity, nginxCapacity,
                        probes.all(), probes.http(), probes.raw(), kafkaPaced, burstResult, endToEnd, kafkaBurst, phases,
                        expected.events(), want.size(), mismatches, overspend);
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> null).join();
        }
    }

    private String paced(Duration duration) {
        return String.format(Locale.ROOT, "%,.0f events/s (%.0f%% raw topic, %.0f%% HTTP batches of %d) and %,.0f decisions/s for %d s",
                settings.ingestRate(), settings.rawShare() * 100, (1 - settings.rawShare()) * 100, settings.batchSize(),
                settings.decisionRate(), duration.toSeconds());
    }

    private void step(String format, Object... args) {
        out.println("== " + String.format(Locale.ROOT, format, args));
    }

    private void awaitBalances(BalanceWatcher balances, long requests) {
        if (balances.awaitTotalRequests(requests, Duration.ofMinutes(3)) < 0) {
            throw new IllegalStateException("the balances count " + balances.totalRequests() + " calls after 3 minutes, "
                    + requests + " were acknowledged");
        }
    }

    private TollgateApi api() {
        return new TollgateApi(json, target.ingestUrl(), target.billingUrl(), target.adminToken(), target.decisionToken());
    }

    /** The plan, then consumers: funded ones and probes get credits; broke ones get none. Waits until billing answers for them. */

    private List<String> setUp(List<String> funded, List<String> probes) {
        TollgateApi api = api();
        List<String> broke = new ArrayList<>();
        for (int i = 0; i < settings.brokeConsumers(); i++) {
            broke.add(String.format(Locale.ROOT, "broke-%03d", i));
        }
        step("Set-up: plan %s, %,d funded consumers, %d probe consumers, %d without credits", PLAN, funded.size(), probes.size(), broke.size());
        api.putPlan(PLAN, planBody());
        List<String> withCredits = new ArrayList<>(funded);
        withCredits.addAll(probes);
        List<String> all = new ArrayList<>(withCredits);
        all.addAll(broke);
        for (String consumer : all) {
            ObjectNode body = json.createObjectNode();
            body.put("plan", PLAN);
            body.put("status", "active");
            body.put("billing", "prepaid");
            api.putConsumer(consumer, body);
        }
        for (String consumer : withCredits) {
            api.grantCredits(consumer, CREDITS, "bench-welcome-" + consumer, "benchmark credits");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        List<String> last = new ArrayList<>(List.of(withCredits.get(withCredits.size() - 1)));
        while (!last.isEmpty()) {
            last.removeIf(consumer -> api.authorize(consumer).status() == 200);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("billing-service did not allow " + last + " within 120 s of granting credits");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return broke;
    }

    private ObjectNode planBody() {
        ObjectNode plan = json.createObjectNode();
        plan.put("currency", "USD");
        plan.put("period", "month");
        ObjectNode meters = plan.putObject("meters");
        meters.putObject("requests").put("unitPrice", "0.0001").put("per", 1);
        meters.putObject("input_tokens").put("unitPrice", "0.50").put("per", 1_000_000);
        meters.putObject("output_tokens").put("unitPrice", "1.50").put("per", 1_000_000);
        return plan;
    }

    /** Funded consumers with one broke consumer in twenty asked about, spread evenly. */
    static List<String> decisionConsumers(List<String> funded, List<String> broke) {
        List<String> asked = new ArrayList<>();
        int b = 0;
        for (int i = 0; i < funded.size(); i++) {
            asked.add(funded.get(i));
            if (!broke.isEmpty() && i % 19 == 18) {
                asked.add(broke.get(b++ % broke.size()));
            }
        }
        return asked;
    }

    record Pair<A, B>(A first, B second) {
    }

    private static <A, B> Pair<A, B> both(Supplier<A> first, Supplier<B> second) {
        CompletableFuture<B> other = CompletableFuture.supplyAsync(second, runnable -> {
            Thread thread = new Thread(runnable, "bench-decisions");
            thread.start();
        });
        A a = first.get();
        return new Pair<>(a, other.join());
    }

    static String machine() {
        return String.format(Locale.ROOT, "%s %s, %d cores, %.1f GiB, Java %s", System.getProperty("os.name"),
                System.getProperty("os.version"), Runtime.getRuntime().availableProcessors(), totalMemoryGiB(),
                System.getProperty("java.version"));
    }

    private static double totalMemoryGiB() {
        try (var lines = java.nio.file.Files.lines(Path.of("/proc/meminfo"))) {
            return lines.filter(l -> l.startsWith("MemTotal:")).findFirst()
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0).orElse(0.0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
