package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.deploy.TemporaryDataDir;
import io.tollgate.schemas.topics.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./tollgate demo}: the first command a newcomer runs. Starts the whole local stack on a temporary data
 * directory and free ports, plays gateway traffic through every ingest path, shows balances and decisions as they
 * change, checks every count, stops everything and exits 0 (1 when a check fails, 2 when the stack cannot start).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start the local stack, play realistic gateway traffic through it, show usage, balances and a",
                "consumer going 200 -> 402 -> top-up -> 200, check every count, stop everything."})
public final class DemoCommand implements Callable<Integer> {
    static final int CHECKS_FAILED = 1;
    static final int STACK_FAILED = 2;

    /** Starts the stack the demo plays on; replaced in tests. */
    interface Launcher {
        DemoStack start(Path dataDir, PrintStream out) throws Exception;
    }

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Data directory of the stack (default: a new temporary directory, deleted at the end).")
    Path dataDir;

    @Option(names = "--keep-data", description = "Keep the data directory (logs of every process) after the demo.")
    boolean keepData;

    @Option(names = "--plain", description = "Print the table as lines, even on a terminal.")
    boolean plain;

    @Option(names = "--step-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Longest wait for the pipeline to reflect one step (default: ${DEFAULT-VALUE}).")
    int stepTimeoutSeconds;

    @Option(names = "--ingest-url", paramLabel = "URL",
            description = "Play on a running stack instead of starting one (with --billing-url, --bootstrap-servers, --admin-token).")
    String ingestUrl;

    @Option(names = "--billing-url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8090")
    String billingUrl;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9092")
    String bootstrapServers;

    @Option(names = "--admin-token", paramLabel = "TOKEN", description = "Admin token of the running stack (default: read <data-dir>/admin-token).")
    String adminToken;

    @Option(names = "--decision-token", paramLabel = "TOKEN",
            description = "Decision token of the running stack (default: read <data-dir>/decision-token if present).")
    String decisionToken;

    private final Launcher launcher;
    private final PrintStream out;

    public DemoCommand() {
        this(LocalDemoStack::start, System.out);
    }

    DemoCommand(Launcher launcher, PrintStream out) {
        this.launcher = launcher;
        this.out = out;
    }

    @Override
    public Integer call() {
        long started = System.nanoTime();
        boolean inPlace = !plain && System.console() != null && !"dumb".equals(System.getenv("TERM"));
        LiveTable table = new LiveTable(out, inPlace);
        out.println("Tollgate demo: gateways -> metering-ingest -> Kafka -> metering-streams -> billing-service -> 200 / 402");

        Path dir;
        boolean temporary = dataDir == null;
        try {
            dir = temporary ? Files.createTempDirectory("tollgate-demo-") : Files.createDirectories(dataDir);
        } catch (IOException e) {
            out.println("DEMO FAILED: cannot create the data directory: " + e.getMessage());
            return STACK_FAILED;
        }

        DemoStack stack;
        try {
            stack = ingestUrl != null ? external(dir) : launcher.start(dir, out);
        } catch (Exception e) {
            out.println("DEMO FAILED: the local stack did not start: " + e.getMessage());
            out.println("  logs of every process are under " + dir);
            return STACK_FAILED;
        }
        stack.describe().forEach(line -> out.println("  " + line));

        List<String> failures = new ArrayList<>();
        try (RawTopicProducer topics = new RawTopicProducer(stack.bootstrapServers())) {
            ObjectMapper json = new ObjectMapper();
            TollgateApi api = new TollgateApi(json, stack.ingestUrl(), stack.billingUrl(), stack.adminToken(), stack.decisionToken());
            DemoRun run = new DemoRun(json, api, topics, table, Clock.systemUTC(), Duration.ofSeconds(stepTimeoutSeconds),
                    Topics.KONG_LOGS.name(), Topics.APISIX_LOGS.name());
            failures.addAll(run.play());
        } catch (DemoFailure e) {
            table.clear();
            failures.add(e.getMessage());
        } finally {
            out.println();
            out.println(stack.ownedByDemo() ? "== Stopping the stack" : "== Leaving the stack running: the demo did not start it");
            stack.close();
        }
        for (int port : stack.ports()) {
            if (listening(port)) {
                failures.add("port " + port + " is still open after the stack stopped");
            }
        }
        if (temporary && !keepData && failures.isEmpty()) {
            TemporaryDataDir.delete(dir);
        } else {
            out.println("  data and logs kept in " + dir);
        }

        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        if (!failures.isEmpty()) {
            out.println();
            out.println("DEMO FAILED after " + seconds + " s:");
            failures.forEach(failure -> out.println("  - " + failure));
            return CHECKS_FAILED;
        }
        out.println();
        out.println("Demo complete in " + seconds + " s: every call counted exactly once"
                + (stack.ownedByDemo() ? ", nothing left running." : "."));
        return 0;
    }

    private DemoStack external(Path dir) throws IOException {
        String token = adminToken != null ? adminToken : Files.readString(dir.resolve("admin-token")).trim();
        Path decisionFile = dir.resolve("decision-token");
        String gatewayToken = decisionToken != null ? decisionToken
                : Files.isRegularFile(decisionFile) ? Files.readString(decisionFile).trim() : null;
        return new DemoStack.External(ingestUrl, billingUrl, bootstrapServers, token, gatewayToken);
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
