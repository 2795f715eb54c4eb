package io.tollgate.deploy.bench;

import io.tollgate.deploy.LocalStack;
import io.tollgate.deploy.ServiceSpec;
import io.tollgate.deploy.TemporaryDataDir;
import io.tollgate.deploy.TollgateCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code ./tollgate bench}: starts the local stack on a temporary data directory and free ports, runs {@link BenchRun}
 * against it, prints the table of figures and floors, stops everything. Exit 0 when every acknowledged event is in the
 * balances exactly once and the overspend phase stayed within its goal; 1 when a count is off, the overspend passed its
 * goal or a phase failed; 2 when the stack could not start.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Drive the local stack with open-loop gateway traffic (HTTP and raw topic) while gateways ask for "
                + "decisions; report ingest rate, event-to-balance freshness, decision latency, CPU and memory per process, "
                + "each beside its floor on this machine: raw Kafka produce-and-consume, and nginx answering a static 200. "
                + "Then 4 gateway connections hammer one prepaid consumer through HTTP and the raw topic while it is topped up twice, "
                + "and the overshoot beyond the credits granted is reported. "
                + "Exit 0 when every acknowledged event is in the balances exactly once and the overshoot is at most 0.1 %.")
public final class BenchCommand implements Callable<Integer> {
    static final int COUNT_OR_PHASE_FAILED = 1;
    static final int STACK_FAILED = 2;

    @Option(names = "--ingest-rate", paramLabel = "EVENTS/S", defaultValue = "1000", description = "Events per second into ingest (default: ${DEFAULT-VALUE}).")
    double ingestRate;

    @Option(names = "--raw-share", paramLabel = "FRACTION", defaultValue = "0.5", description = "Share of those sent to the raw Kong topic, the rest as HTTP batches (default: ${DEFAULT-VALUE}).")
    double rawShare;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "100", description = "Entries per Kong http-log batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--decision-rate", paramLabel = "REQ/S", defaultValue = "1000", description = "Decision requests per second (default: ${DEFAULT-VALUE}).")
    double decisionRate;

    @Option(names = "--connections", paramLabel = "N", defaultValue = "64", description = "Connections the decision requests share (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "20", description = "Warm-up before measuring (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "30", description = "Length of the Tollgate phase and of the nginx floor (default: ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--floor-duration", paramLabel = "SECONDS", defaultValue = "15", description = "Length of the paced Kafka floor (default: ${DEFAULT-VALUE}).")
    int floorSeconds;

    @Option(names = "--capacity-duration", paramLabel = "SECONDS", defaultValue = "10", description = "Length of the closed-loop decision phases, billing-service then nginx, with no ingest (default: ${DEFAULT-VALUE}).")
    int capacitySeconds;

    @Option(names = "--burst", paramLabel = "EVENTS", defaultValue = "100000", description = "Events of the saturated burst (default: ${DEFAULT-VALUE}).")
    long burstEvents;

    @Option(names = "--consumers", paramLabel = "N", defaultValue = "1000", description = "Funded consumers (default: ${DEFAULT-VALUE}).")
    int consumers;

    @Option(names = "--broke-consumers", paramLabel = "N", defaultValue = "50", description = "Consumers without credits, asked about too: 402 (default: ${DEFAULT-VALUE}).")
    int brokeConsumers;

    @Option(names = "--probes", paramLabel = "N", defaultValue = "8", description = "Probe consumers measuring freshness (default: ${DEFAULT-VALUE}).")
    int probes;

    @Option(names = "--overspend-calls", paramLabel = "CALLS", defaultValue = "3000", description = "Credits of the overspend phase's prepaid consumer, in calls at 0.01; two top-ups add a third each while 4 gateway connections hammer it (default: ${DEFAULT-VALUE}).")
    long overspendCalls;

    @Option(names = "--overspend-duration", paramLabel = "SECONDS", defaultValue = "15", description = "Length of the overspend phase (default: ${DEFAULT-VALUE}).")
    int overspendSeconds;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory of the stack (default: a new temporary directory, deleted at the end).")
    Path dataDir;

    @Option(names = "--keep-data", description = "Keep the data directory (logs of every process) after the run.")
    boolean keepData;

    private final PrintStream out;

    public BenchCommand() {
        this(System.out);
    }

    BenchCommand(PrintStream out) {
        this.out = out;
    }

    BenchSettings settings() {
        return new BenchSettings(ingestRate, rawShare, batchSize, decisionRate, connections, Duration.ofSeconds(warmupSeconds),
                Duration.ofSeconds(durationSeconds), Duration.ofSeconds(floorSeconds), Duration.ofSeconds(capacitySeconds), burstEvents, consumers, brokeConsumers, probes,
                overspendCalls, Duration.ofSeconds(overspendSeconds));
    }

    /** The last run's figures (for tests). */
    BenchResult result;

    @Override
    public Integer call() throws IOException {
        BenchSettings settings = settings();
        boolean temporary = dataDir == null;
        Path dir = temporary ? Files.createTempDirectory("tollgate-bench-") : Files.createDirectories(dataDir);
        out.println("Tollgate bench: starting the local stack on free ports (Kafka broker, schema registry, metering-ingest,"
                + " metering-streams, billing-service); data in " + dir);
        LocalStack stack;
        try {
            stack = LocalStack.start(new LocalStack.Options(TollgateCli.repoRoot()).dataDir(dir).onFreePorts());
        } catch (RuntimeException e) {
            out.println("BENCH FAILED: the local stack did not start: " + e.getMessage());
            out.println("  logs of every process are under " + dir);
            return STACK_FAILED;
        }
        Thread stopOnExit = new Thread(stack::close, "tollgate-bench-stop");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        int exit;
        try {
            if (ServiceSpec.ALL.stream().anyMatch(spec -> stack.url(spec).isEmpty())) {
                out.println("BENCH FAILED: a service is not built; build with ./mvnw -q install -DskipTests (./tollgate does it for you)");
                return STACK_FAILED;
            }
            stack.describe().forEach(line -> out.println("  " + line));
            BenchRun.Target target = new BenchRun.Target(stack.url(ServiceSpec.METERING_INGEST).orElseThrow(),
                    stack.url(ServiceSpec.BILLING_SERVICE).orElseThrow(), stack.bootstrapServers(), stack.schemaRegistryUrl(),
                    stack.adminToken(), stack.decisionToken(), stack.processIds(), dir);
            result = new BenchRun(settings, target, out).run();
            out.println();
            BenchReport.table(result).forEach(out::println);
            exit = result.exact() && result.decisions().answered() > 0 && result.overspend().withinGoal() ? 0 : COUNT_OR_PHASE_FAILED;
        } catch (RuntimeException e) {
            out.println("BENCH FAILED: " + e.getMessage());
            exit = COUNT_OR_PHASE_FAILED;
        } finally {
            out.println();
            out.println("== Stopping the stack");
            stack.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException e) {
                // already shutting down: the hook stops the stack again, which is idempotent
            }
        }
        if (temporary && !keepData && exit == 0) {
            TemporaryDataDir.delete(dir);
        } else {
            out.println("  data and logs kept in " + dir);
        }
        return exit;
    }
}
