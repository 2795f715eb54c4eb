package io.tollgate.deploy.pipeline;

import io.tollgate.deploy.ServiceSpec;
import io.tollgate.localstack.JavaRuntime;
import io.tollgate.localstack.ManagedProcess;
import io.tollgate.localstack.Ports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;

/**
 * Tollgate services as separate OS processes ({@code java -jar}), each restartable with the same environment, port
 * and state directory. The jars are copied first, so that a rebuild in the work tree cannot swap a jar between a
 * kill and the restart. {@link #close()} stops every process ever started; a shutdown hook does the same if the test
 * JVM is ended before that.
 */
public final class ServiceProcesses implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServiceProcesses.class);
    private static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC");

    private final Path dataDir;
    private final Map<ServiceSpec, Path> jars = new LinkedHashMap<>();
    private final Map<ServiceSpec, Map<String, String>> environments = new LinkedHashMap<>();
    private final Map<ServiceSpec, Integer> ports = new LinkedHashMap<>();
    private final Map<ServiceSpec, ManagedProcess> running = new LinkedHashMap<>();
    private final List<ManagedProcess> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final Thread killOnExit = new Thread(this::killAll, "tollgate-service-processes-exit");

    /** @param environments per service, everything but its port (chosen here, free) */
    public ServiceProcesses(Path repoRoot, Path dataDir, Map<ServiceSpec, Map<String, String>> environments) {
        this.dataDir = dataDir;
        try {
            Files.createDirectories(dataDir.resolve("jars"));
            for (Map.Entry<ServiceSpec, Map<String, String>> entry : environments.entrySet()) {
                ServiceSpec spec = entry.getKey();
                Path built = spec.jar(repoRoot);
                if (!Files.isRegularFile(built)) {
                    throw new IllegalStateException(built + " is not built: run ./mvnw -pl " + spec.name() + " -am package -DskipTests"
                            + " (./mvnw verify builds it before deploy's integration tests)");
                }
                Path copy = dataDir.resolve("jars").resolve(spec.name() + ".jar");
                Files.copy(built, copy, StandardCopyOption.REPLACE_EXISTING);
                jars.put(spec, copy);
                int port = Ports.free();
                ports.put(spec, port);
                Map<String, String> env = new LinkedHashMap<>(entry.getValue());
                env.put(spec.portEnv(), String.valueOf(port));
                this.environments.put(spec, env);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the service jars in " + dataDir, e);
        }
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    public String url(ServiceSpec spec) {
        return "http://" + Ports.LOOPBACK + ":" + ports.get(spec);
    }

    public synchronized void start(ServiceSpec spec) {
        if (running.containsKey(spec) && running.get(spec).isAlive()) {
            throw new IllegalStateException(spec.name() + " is already running");
        }
        List<String> command = new ArrayList<>();
        command.add(JavaRuntime.current().toString());
        command.addAll(JVM_OPTIONS);
        command.add("-jar");
        command.add(jars.get(spec).toString());
        ManagedProcess process = ManagedProcess.start(spec.name(), command, dataDir,
                dataDir.resolve("logs").resolve(spec.name() + ".log"), environments.get(spec));
        running.put(spec, process);
        started.add(process);
        log.info("started {} (pid {}) on {}", spec.name(), process.pid(), url(spec));
    }

    /** SIGKILL ({@code Process.destroyForcibly()}): no shutdown hook, no flush, no commit, no leaving the group. */
    public synchronized void kill(ServiceSpec spec) {
        ManagedProcess process = running.remove(spec);
        if (process == null || !process.isAlive()) {
            throw new IllegalStateException(spec.name() + " is not running, cannot kill it"
                    + (process == null ? "" : "; its log ends with:\n" + process.logTail(30)));
        }
        process.kill();
        log.info("killed {} (pid {}) with SIGKILL", spec.name(), process.pid());
    }

    /** Waits until {@code GET /readyz} answers 200; fails at once, with its log, if the process exits. */
    public void awaitReady(ServiceSpec spec, Duration atMost) {
        ManagedProcess process;
        synchronized (this) {
            process = running.get(spec);
        }
        HttpRequest probe = HttpRequest.newBuilder(URI.create(url(spec) + "/readyz")).timeout(Duration.ofSeconds(5)).GET().build();
        await(spec.name() + " ready (GET /readyz == 200)").atMost(atMost).pollInterval(Duration.ofMillis(250)).pollInSameThread()
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException(spec.name() + " exited; its log " + process.logFile() + " ends with:\n" + process.logTail(40));
                    }
                    try {
                        return http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    /** Every service still runs: none exited by itself during a fault it should have ridden out. */
    public synchronized void requireAllAlive() {
        running.forEach((spec, process) -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(spec.name() + " (pid " + process.pid() + ") exited by itself; its log "
                        + process.logFile() + " ends with:\n" + process.logTail(40));
            }
        });
    }

    /** Pids of every process started, killed or not: each must be gone after {@link #close()}. */
    public synchronized List<Long> pids() {
        return started.stream().map(ManagedProcess::pid).toList();
    }

    public List<Integer> ports() {
        return List.copyOf(ports.values());
    }

    @Override
    public void close() {
        List<ManagedProcess> all;
        synchronized (this) {
            all = List.copyOf(started);
            running.clear();
        }
        all.parallelStream().forEach(p -> p.stop(Duration.ofSeconds(10)));
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs killAll(), which finds nothing left
        }
    }

    private void killAll() {
        List<ManagedProcess> all;
        synchronized (this) {
            all = List.copyOf(started);
        }
        all.forEach(ManagedProcess::kill);
    }
}
