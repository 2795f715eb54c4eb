package io.tollgate.localstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real Apicurio Registry, run from its Quarkus distribution ({@code io.apicurio:apicurio-registry-app:tar.gz:all},
 * fetched by this module's build into {@code localstack/target/apicurio/} and also found in the local Maven repository)
 * on a Java 21+ runtime. Serves the Confluent Schema Registry API at {@link #confluentUrl()}.
 *
 * <p>Storage is in memory (tests) or {@code kafkasql}: then every schema lives in the broker's
 * {@code kafkasql-journal} topic and survives restarts of the registry with the broker's data.
 */
public final class ApicurioRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApicurioRegistry.class);
    public static final String VERSION = "3.3.3";
    public static final String ARCHIVE_NAME = "apicurio-registry-app-" + VERSION + "-all.tar.gz";
    public static final String ARCHIVE_ENV = "TOLLGATE_APICURIO_ARCHIVE";
    public static final String CONFLUENT_PATH = "/apis/ccompat/v7";
    static final int MIN_JAVA = 21;
    /**
     * With its Kafka storage gone, the registry's shutdown waits on a Kafka client for more than 30 s; it keeps nothing
     * that a halt could lose (schemas are in the broker, or in memory for tests), so it halts itself after 10 s.
     */
    static final Duration EXIT_DEADLINE = Duration.ofSeconds(10);

    /**
     * Ports, storage and runtime. {@code kafkaBootstrapServers} null means in-memory storage.
     * {@code java} null means: find a Java 21+ (see {@link JavaRuntime#atLeast}).
     */
    public record Settings(Path workDir, int port, int managementPort, String kafkaBootstrapServers, String java,
                           String maxHeap, Duration startTimeout) {
        public static final int DEFAULT_PORT = 8081;

        public Settings {
            Objects.requireNonNull(workDir, "workDir");
        }

        public static Settings inMemory(Path workDir, int port) {
            return new Settings(workDir, port, Ports.free(), null, null, "512m", Duration.ofSeconds(120));
        }

        public static Settings kafkaSql(Path workDir, int port, String bootstrapServers) {
            return new Settings(workDir, port, Ports.free(), bootstrapServers, null, "512m", Duration.ofSeconds(120));
        }

        public Settings withJava(String newJava) {
            return new Settings(workDir, port, managementPort, kafkaBootstrapServers, newJava, maxHeap, startTimeout);
        }
    }

    private final Settings settings;
    private volatile ManagedProcess process;

    public ApicurioRegistry(Settings settings) {
        this.settings = settings;
    }

    /** {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://" + Ports.LOOPBACK + ":" + settings.port();
    }

    /** The Confluent Schema Registry API: {@code http://127.0.0.1:PORT/apis/ccompat/v7}. */
    public String confluentUrl() {
        return baseUrl() + CONFLUENT_PATH;
    }

    public Path logFile() {
        return settings.workDir().resolve("registry.log");
    }

    public boolean isRunning() {
        ManagedProcess running = process;
        return running != null && running.isAlive();
    }

    /** The registry's process id while it runs (for resource sampling by the benchmark). */
    public java.util.OptionalLong pid() {
        ManagedProcess running = process;
        return running != null && running.isAlive() ? java.util.OptionalLong.of(running.pid()) : java.util.OptionalLong.empty();
    }

    /**
     * Starts the registry and waits until its Confluent API answers {@code GET /subjects} with 200.
     * {@link #stop()} from another thread during the wait ends it: start then fails.
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
        log.info("schema registry ready in {} s at {}", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - began), confluentUrl());
    }

    private ManagedProcess launch() {
        Ports.requireFree(settings.port(), "schema registry", "--registry-port");
        Ports.requireFree(settings.managementPort(), "schema registry management", null);
        Path java = JavaRuntime.atLeast(MIN_JAVA, settings.java());
        Path home = distribution();
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add(ChildWatchdog.javaOption(EXIT_DEADLINE));
        command.add("-Xms128m");
        command.add("-Xmx" + settings.maxHeap());
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Djava.awt.headless=true");
        systemProperties().forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(home.resolve("quarkus-run.jar").toString());
        log.info("starting schema registry (Apicurio Registry {}, {} storage) on {}", VERSION,
                settings.kafkaBootstrapServers() == null ? "in-memory" : "kafkasql", confluentUrl());
        process = ManagedProcess.start("schema-registry", command, settings.workDir(), logFile(), Map.of());
        return process;
    }

    public void stop() {
        ManagedProcess running;
        synchronized (this) {
            running = process;
            process = null;
        }
        if (running != null) {
            log.info("stopping schema registry on {}", baseUrl());
            running.stop(Duration.ofSeconds(20));
        }
    }

    @Override
    public void close() {
        stop();
    }

    Map<String, String> systemProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("quarkus.http.host", Ports.LOOPBACK);
        p.put("quarkus.http.port", String.valueOf(settings.port()));
        p.put("quarkus.management.host", Ports.LOOPBACK);
        p.put("quarkus.management.port", String.valueOf(settings.managementPort()));
        // Confluent clients look schemas up by content: match on the canonical form, as Confluent's registry does.
        p.put("apicurio.ccompat.use-canonical-hash", "true");
        p.put("apicurio.ccompat.max-subjects", "10000");
        // Confluent's registry checks BACKWARD compatibility unless told otherwise; Apicurio checks nothing by default.
        p.put("apicurio.rules.global.compatibility", "BACKWARD");
        // Confluent clients and tests delete subjects and versions; Apicurio forbids it by default.
        p.put("apicurio.rest.deletion.artifact.enabled", "true");
        p.put("apicurio.rest.deletion.artifact-version.enabled", "true");
        p.put("apicurio.rest.deletion.group.enabled", "true");
        p.put("quarkus.log.console.format", "%d{HH:mm:ss.SSS} %-5p [%c{2.}] (%t) %s%e%n");
        p.put("quarkus.http.access-log.enabled", "false");
        if (settings.kafkaBootstrapServers() != null) {
            p.put("apicurio.storage.kind", "kafkasql");
            p.put("apicurio.kafkasql.bootstrap.servers", settings.kafkaBootstrapServers());
        }
        return p;
    }

    private void awaitReady(ManagedProcess process, long began) {
        long deadline = began + settings.startTimeout().toNanos();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(confluentUrl() + "/subjects")).timeout(Duration.ofSeconds(5)).GET().build();
        while (true) {
            try {
                HttpResponse<Void> response = http.send(probe, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                log.trace("registry not ready yet: {}", e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema registry", e);
            }
            if (process.awaitExit(Duration.ofMillis(250))) {
                throw new IllegalStateException("the schema registry exited during start-up; its log " + logFile() + " ends with:\n" + process.logTail(40));
            }
            if (System.nanoTime() > deadline) {
                process.kill();
                throw new IllegalStateException("the schema registry was not ready within " + settings.startTimeout().toSeconds()
                        + " s; its log " + logFile() + " ends with:\n" + process.logTail(40));
            }
        }
    }

    /** The unpacked distribution (a directory with {@code quarkus-run.jar}), unpacking the archive on first use. */
    static synchronized Path distribution() {
        Path target = cacheDir().resolve("apicurio-registry-" + VERSION);
        if (Files.isRegularFile(target.resolve("quarkus-run.jar"))) {
            return target;
        }
        Path archive = archive();
        log.info("unpacking {} into {}", archive, target);
        try {
            Files.createDirectories(target.getParent());
            Path staging = Files.createTempDirectory(target.getParent(), "apicurio-unpack-");
            int exit = ManagedProcess.run("tar", List.of("tar", "-xzf", archive.toAbsolutePath().toString(), "-C", staging.toString()),
                    target.getParent(), target.getParent().resolve("unpack.log"), Duration.ofMinutes(5));
            if (exit != 0 || !Files.isRegularFile(staging.resolve("quarkus-run.jar"))) {
                throw new IllegalStateException("unpacking " + archive + " failed (tar exit " + exit + "); see " + target.getParent().resolve("unpack.log"));
            }
            if (Files.exists(target) && !Files.isRegularFile(target.resolve("quarkus-run.jar"))) {
                deleteTree(target); // left half-written by an interrupted run
            }
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException | java.nio.file.DirectoryNotEmptyException e) {
                deleteTree(staging); // another JVM unpacked it first
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + archive + " into " + target, e);
        }
    }

    /** Where unpacked distributions are kept: {@code $XDG_CACHE_HOME/tollgate} or {@code ~/.cache/tollgate}. */
    static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("tollgate");
    }

    /** The distribution archive: {@value #ARCHIVE_ENV}, this module's build output, or the local Maven repository. */
    static Path archive() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv(ARCHIVE_ENV)).filter(s -> !s.isBlank()).ifPresent(s -> candidates.add(Path.of(s)));
        Optional.ofNullable(System.getProperty("tollgate.apicurio.archive")).ifPresent(s -> candidates.add(Path.of(s)));
        codeLocation().ifPresent(location -> {
            Path dir = location;
            for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
                candidates.add(dir.resolve("apicurio").resolve(ARCHIVE_NAME));
                candidates.add(dir.resolve("target").resolve("apicurio").resolve(ARCHIVE_NAME));
                candidates.add(dir.resolve("localstack").resolve("target").resolve("apicurio").resolve(ARCHIVE_NAME));
            }
        });
        String repo = System.getProperty("maven.repo.local");
        Path localRepo = repo != null && !repo.isBlank() ? Path.of(repo) : Path.of(System.getProperty("user.home"), ".m2", "repository");
        candidates.add(localRepo.resolve("io/apicurio/apicurio-registry-app").resolve(VERSION).resolve(ARCHIVE_NAME));
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElseThrow(() -> new IllegalStateException(
                "the Apicurio Registry distribution " + ARCHIVE_NAME + " was not found (looked at " + candidates + "). "
                        + "Build the localstack module once (`./mvnw -pl localstack -am install -DskipTests`), which fetches it, "
                        + "or set " + ARCHIVE_ENV + " to its path"));
    }

    private static Optional<Path> codeLocation() {
        try {
            var source = ApicurioRegistry.class.getProtectionDomain().getCodeSource();
            return source == null ? Optional.empty() : Optional.of(Path.of(source.getLocation().toURI()).toAbsolutePath());
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
