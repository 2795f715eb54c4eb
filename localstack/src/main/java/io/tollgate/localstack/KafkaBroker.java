package io.tollgate.localstack;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real single-node Apache Kafka broker (KRaft, combined broker and controller) in a forked JVM, run from
 * the Kafka jars on this JVM's class path. The log directory is formatted once; after that the broker can
 * be stopped, killed and started again on the same ports and data, as a real broker would be.
 *
 * <p>Layout under {@code dataDir}: {@code server.properties}, {@code logs/} (the log directories),
 * {@code broker.log} (its output), {@code logback.xml} (its log configuration).
 */
public final class KafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

    /**
     * What to run: ports, data directory, heap and extra broker properties. {@code fullJit} false (the default, for
     * tests) stops the JIT at C1, which starts faster on two cores; true lets C2 compile the hot paths, for a broker
     * that runs long or is measured ({@code ./tollgate up}, {@code ./tollgate bench}).
     */
    public record Settings(Path dataDir, int port, int controllerPort, String maxHeap, Duration startTimeout,
                           Map<String, String> overrides, boolean fullJit) {
        public static final int DEFAULT_PORT = 9092;
        public static final int DEFAULT_CONTROLLER_PORT = 9093;

        public Settings {
            Objects.requireNonNull(dataDir, "dataDir");
            overrides = Map.copyOf(overrides);
        }

        /** Defaults of the local stack: 9092/9093, 512 MB heap, 60 s to start. */
        public static Settings defaults(Path dataDir) {
            return new Settings(dataDir, DEFAULT_PORT, DEFAULT_CONTROLLER_PORT, "512m", Duration.ofSeconds(90), Map.of(), false);
        }

        /** Free ports picked by the OS, for tests. */
        public static Settings onFreePorts(Path dataDir) {
            return defaults(dataDir).withPorts(Ports.free(), Ports.free());
        }

        public Settings withPorts(int newPort, int newControllerPort) {
            return new Settings(dataDir, newPort, newControllerPort, maxHeap, startTimeout, overrides, fullJit);
        }

        public Settings withOverrides(Map<String, String> newOverrides) {
            return new Settings(dataDir, port, controllerPort, maxHeap, startTimeout, newOverrides, fullJit);
        }

        public Settings withFullJit(boolean value) {
            return new Settings(dataDir, port, controllerPort, maxHeap, startTimeout, overrides, value);
        }
    }

    /**
     * How long a clean shutdown may take before the broker halts itself ({@link ChildWatchdog}); a single local node
     * stops in a few seconds, and a halted one recovers its logs on the next start.
     */
    static final Duration EXIT_DEADLINE = Duration.ofSeconds(15);

    private final Settings settings;
    private volatile ManagedProcess process;

    public KafkaBroker(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** {@code 127.0.0.1:PORT}. */
    public String bootstrapServers() {
        return Ports.LOOPBACK + ":" + settings.port();
    }

    public Path logFile() {
        return settings.dataDir().resolve("broker.log");
    }

    public boolean isRunning() {
        ManagedProcess running = process;
        return running != null && running.isAlive();
    }

    /** The broker's process id while it runs (for resource sampling by the benchmark). */
    public java.util.OptionalLong pid() {
        ManagedProcess running = process;
        return running != null && running.isAlive() ? java.util.OptionalLong.of(running.pid()) : java.util.OptionalLong.empty();
    }

    /**
     * Formats the data directory if needed, starts the broker and waits until it answers an Admin request.
     * {@link #stop()} or {@link #kill()} from another thread during the wait ends it: start then fails.
     */
    public void start() {
        ManagedProcess started;
        long began = System.nanoTime();
        synchronized (this) {
            if (isRunning()) {
                return;
            }
            started = launch();
        }
        awaitReady(started, began);
        log.info("Kafka broker ready on {} in {} ms", bootstrapServers(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    private ManagedProcess launch() {
        Ports.requireFree(settings.port(), "Kafka broker", "--kafka-port");
        Ports.requireFree(settings.controllerPort(), "Kafka controller", "--controller-port");
        Path config = writeConfig();
        formatIfNeeded(config);
        log.info("starting Kafka broker on {} (controller {}), data in {}", bootstrapServers(), settings.controllerPort(), settings.dataDir());
        List<String> command = new ArrayList<>(javaCommand());
        command.add(1, ChildWatchdog.javaOption(EXIT_DEADLINE));
        command.add("kafka.Kafka");
        command.add(config.toString());
        process = ManagedProcess.start("kafka-broker", command, settings.dataDir(), logFile(), Map.of());
        return process;
    }

    /** A clean shutdown (SIGTERM: the broker flushes and closes its logs); it halts itself after 15 s, and is killed after 30 s. */
    public void stop() {
        ManagedProcess running = take();
        if (running != null) {
            log.info("stopping Kafka broker on {}", bootstrapServers());
            running.stop(Duration.ofSeconds(30));
        }
    }

    /** SIGKILL: the broker gets no chance to flush; it recovers its logs on the next start. */
    public void kill() {
        ManagedProcess running = take();
        if (running != null) {
            log.info("killing Kafka broker on {}", bootstrapServers());
            running.kill();
        }
    }

    /**
     * SIGSTOP: the broker keeps its connections open and stops answering, as a broker in a long GC pause, a frozen VM
     * or a network black hole does. {@link #thaw()} lets it go on. Nothing else about the broker changes.
     */
    public void freeze() {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze()}. */
    public void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        ManagedProcess running = process;
        if (running == null || !running.isAlive()) {
            throw new IllegalStateException("the Kafka broker is not running");
        }
        log.info("sending SIG{} to the Kafka broker (pid {})", name, running.pid());
        running.signal(name);
    }

    private synchronized ManagedProcess take() {
        ManagedProcess running = process;
        process = null;
        return running;
    }

    @Override
    public void close() {
        stop();
    }

    private Path writeConfig() {
        Path dataDir = settings.dataDir();
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@" + Ports.LOOPBACK + ":" + settings.controllerPort());
        p.setProperty("listeners", "PLAINTEXT://" + Ports.LOOPBACK + ":" + settings.port() + ",CONTROLLER://" + Ports.LOOPBACK + ":" + settings.controllerPort());
        p.setProperty("advertised.listeners", "PLAINTEXT://" + Ports.LOOPBACK + ":" + settings.port());
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", dataDir.resolve("logs").toAbsolutePath().toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("default.replication.factor", "1");
        p.setProperty("min.insync.replicas", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "6");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "6");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // A dead exactly-once instance's open transaction blocks whoever takes its tasks over until the broker aborts it:
        // at transaction.timeout.ms, but only at the next scan for timed-out transactions (every 10 s by default). Scanning
        // every second took metering-streams' fail-over from 8-10.5 s to 6-7.6 s (FailoverBench, metering-streams README).
        p.setProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        p.setProperty("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        p.setProperty("auto.create.topics.enable", "true");
        settings.overrides().forEach(p::setProperty);
        Path file = dataDir.resolve("server.properties");
        try {
            Files.createDirectories(dataDir);
            try (var out = Files.newBufferedWriter(file)) {
                p.store(out, "written by io.tollgate.localstack.KafkaBroker on every start");
            }
            Files.writeString(dataDir.resolve("logback.xml"), LOGBACK);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the broker configuration in " + dataDir, e);
        }
        return file;
    }

    private void formatIfNeeded(Path config) {
        Path logs = settings.dataDir().resolve("logs");
        if (Files.isRegularFile(logs.resolve("meta.properties"))) {
            return;
        }
        String clusterId = Uuid.randomUuid().toString();
        log.info("formatting Kafka log directory {} (cluster id {})", logs, clusterId);
        List<String> command = new ArrayList<>(javaCommand());
        // Share groups stay off: nothing in Tollgate uses them and they add internal topics.
        command.addAll(List.of("kafka.tools.StorageTool", "format", "--cluster-id", clusterId, "--config", config.toString(),
                "--feature", "share.version=0", "--ignore-formatted"));
        int exit = ManagedProcess.run("kafka-storage-format", command, settings.dataDir(), settings.dataDir().resolve("format.log"), Duration.ofSeconds(60));
        if (exit != 0) {
            String output;
            try {
                output = Files.readString(settings.dataDir().resolve("format.log"));
            } catch (IOException e) {
                output = e.getMessage();
            }
            throw new IllegalStateException("formatting the Kafka log directory failed (exit " + exit + "):\n" + output);
        }
    }

    private List<String> javaCommand() {
        List<String> command = new ArrayList<>(List.of(JavaRuntime.current().toString(),
                "-Xms128m", "-Xmx" + settings.maxHeap(), "-XX:+UseG1GC",
                // The JVM's perf-data file in /tmp is written at safepoints: with a busy disk that stalls the broker.
                "-XX:+PerfDisableSharedMem",
                "-Djava.awt.headless=true",
                "-Dlogback.configurationFile=" + settings.dataDir().resolve("logback.xml").toAbsolutePath(),
                "-cp", absoluteClassPath()));
        if (!settings.fullJit()) {
            command.add(4, "-XX:TieredStopAtLevel=1");
        }
        return command;
    }

    /** This JVM's class path with every entry absolute: the broker runs in its data directory. */
    static String absoluteClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(entry -> !entry.isBlank())
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    private void awaitReady(ManagedProcess process, long began) {
        long deadline = began + settings.startTimeout().toNanos();
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "200");
        // Wait for the listener first: an Admin client pointed at a closed port logs a warning every 200 ms.
        while (!Ports.isListening(settings.port())) {
            if (process.awaitExit(Duration.ofMillis(200))) {
                throw new IllegalStateException("the Kafka broker exited during start-up; its log " + logFile() + " ends with:\n" + process.logTail(40));
            }
            if (System.nanoTime() > deadline) {
                process.kill();
                throw new IllegalStateException("the Kafka broker did not listen on " + bootstrapServers() + " within "
                        + settings.startTimeout().toSeconds() + " s; its log " + logFile() + " ends with:\n" + process.logTail(40));
            }
        }
        try (Admin admin = Admin.create(props)) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the Kafka broker exited during start-up; its log " + logFile() + " ends with:\n" + process.logTail(40));
                }
                if (System.nanoTime() > deadline) {
                    process.kill();
                    throw new IllegalStateException("the Kafka broker was not ready within " + settings.startTimeout().toSeconds()
                            + " s; its log " + logFile() + " ends with:\n" + process.logTail(40));
                }
                try {
                    int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000)).nodes().get(4, TimeUnit.SECONDS).size();
                    if (nodes > 0) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    log.debug("broker not ready yet: {}", e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
                }
            }
        }
    }

    private static final String LOGBACK = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern></encoder>
              </appender>
              <logger name="org.apache.kafka" level="INFO"/>
              <logger name="kafka" level="INFO"/>
              <logger name="org.apache.kafka.clients" level="WARN"/>
              <logger name="org.apache.kafka.common.config" level="WARN"/>
              <logger name="kafka.server.KafkaConfig" level="WARN"/>
              <logger name="state.change.logger" level="WARN"/>
              <root level="INFO"><appender-ref ref="OUT"/></root>
            </configuration>
            """;
}
