package io.tollgate.deploy;

import io.tollgate.localstack.ApicurioRegistry;
import io.tollgate.localstack.JavaRuntime;
import io.tollgate.localstack.KafkaBroker;
import io.tollgate.localstack.ManagedProcess;
import io.tollgate.localstack.Ports;
import io.tollgate.localstack.TopicCreator;
import io.tollgate.schemas.topics.Topics;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The whole local Tollgate: a KRaft broker, the schema registry (kafkasql storage, so schemas live in the broker),
 * the contract's topics, and the services whose jars are built, each a child process with its log under
 * {@code <data-dir>/logs/}. {@link #start(Options)} returns once everything answers; {@link #close()} stops the
 * services, then the registry, then the broker, and frees every port. {@code ./tollgate up} and the demo use this.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalStack.class);
    /** What {@code --fresh} may delete: only a directory this class laid out, never an arbitrary one. */
    private static final Set<String> OWN_ENTRIES = Set.of("kafka", "registry", "logs", "streams-state", "ingest-state",
            AdminToken.FILE_NAME, AdminToken.FILE_NAME + ".tmp", AdminToken.DECISION_FILE_NAME, AdminToken.DECISION_FILE_NAME + ".tmp");

    /** Everything {@code ./tollgate up} can set; defaults are SPEC §3's ports and {@code <repo>/.tollgate}. */
    public static final class Options {
        private Path repoRoot;
        private Path dataDir;
        private boolean fresh;
        private boolean infraOnly;
        private String bootstrapServers;
        private String schemaRegistryUrl;
        private int kafkaPort = KafkaBroker.Settings.DEFAULT_PORT;
        private int controllerPort = KafkaBroker.Settings.DEFAULT_CONTROLLER_PORT;
        private int registryPort = ApicurioRegistry.Settings.DEFAULT_PORT;
        /** billing-service's Envoy ext_authz gRPC port (SPEC §3: 9191). */
        private int extAuthzGrpcPort = 9191;
        private final Map<ServiceSpec, Integer> servicePorts = new LinkedHashMap<>();
        private String registryJava;
        private Duration serviceReadyTimeout = Duration.ofSeconds(180);

        public Options(Path repoRoot) {
            this.repoRoot = Objects.requireNonNull(repoRoot).toAbsolutePath().normalize();
            this.dataDir = this.repoRoot.resolve(".tollgate");
            ServiceSpec.ALL.forEach(s -> servicePorts.put(s, s.defaultPort()));
        }

        /** Every port on free ones picked by the OS, for tests and for a demo next to a running stack. */
        public Options onFreePorts() {
            kafkaPort = Ports.free();
            controllerPort = Ports.free();
            registryPort = Ports.free();
            extAuthzGrpcPort = Ports.free();
            ServiceSpec.ALL.forEach(s -> servicePorts.put(s, Ports.free()));
            return this;
        }

        public Options dataDir(Path dir) { this.dataDir = dir.toAbsolutePath().normalize(); return this; }
        public Options fresh(boolean value) { this.fresh = value; return this; }
        public Options infraOnly(boolean value) { this.infraOnly = value; return this; }
        public Options external(String bootstrap, String registryUrl) { this.bootstrapServers = bootstrap; this.schemaRegistryUrl = registryUrl; return this; }
        public Options kafkaPort(int port) { this.kafkaPort = port; return this; }
        public Options controllerPort(int port) { this.controllerPort = port; return this; }
        public Options registryPort(int port) { this.registryPort = port; return this; }
        public Options extAuthzGrpcPort(int port) { this.extAuthzGrpcPort = port; return this; }
        public Options servicePort(ServiceSpec service, int port) { servicePorts.put(service, port); return this; }
        public Options registryJava(String java) { this.registryJava = java; return this; }
        public Options serviceReadyTimeout(Duration timeout) { this.serviceReadyTimeout = timeout; return this; }

        public Path repoRoot() { return repoRoot; }
        public Path dataDir() { return dataDir; }
        public boolean infraOnly() { return infraOnly; }
        public boolean isExternal() { return bootstrapServers != null; }
        public int port(ServiceSpec service) { return servicePorts.get(service); }
    }

    /** A service this stack started (or found unbuilt). */
    public record Service(ServiceSpec spec, int port, ManagedProcess process) {
        public String url() {
            return "http://" + Ports.LOOPBACK + ":" + port;
        }
    }

    /**
     * Stacks not closed yet. A JVM that exits (Ctrl-C during start-up included, before anyone else could register a
     * hook) closes them in order: the children run in their own sessions and would not get the terminal's signal.
     */
    private static final Set<LocalStack> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(LocalStack::close), "tollgate-local-stack-exit"));
    }

    /**
     * Each service JVM keeps its perf data off {@code /tmp}: the JVM writes that file at safepoints, and with the broker
     * busy on the same disk those writes stalled billing-service's decisions for hundreds of milliseconds (measured
     * with {@code ./tollgate bench}: decision p50 93 ms, p99 1.8 s with the file; 0.7 ms and 0.45 s without).
     */
    static final String SERVICE_JVM_OPTION = "-XX:+PerfDisableSharedMem";

    private final Options options;
    private final String adminToken;
    private final String decisionToken;
    private volatile KafkaBroker broker;
    private volatile ApicurioRegistry registry;
    private final List<Service> services = new ArrayList<>();
    private final List<String> notBuilt = new ArrayList<>();
    private boolean closed;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    private LocalStack(Options options, String adminToken, String decisionToken) {
        this.options = options;
        this.adminToken = adminToken;
        this.decisionToken = decisionToken;
        LIVE.add(this);
    }

    /** Starts everything {@code options} asks for and waits until it answers; on failure stops what it started. */
    public static LocalStack start(Options options) {
        if ((options.bootstrapServers == null) != (options.schemaRegistryUrl == null)) {
            throw new IllegalArgumentException("--bootstrap-servers and --schema-registry-url go together: give both or neither");
        }
        checkPorts(options);
        if (options.fresh) {
            wipe(options.dataDir);
        }
        LocalStack stack = new LocalStack(options, AdminToken.readOrCreate(options.dataDir),
                AdminToken.readOrCreateDecisionToken(options.dataDir));
        try {
            stack.startInfrastructure();
            if (!options.infraOnly) {
                stack.startServices();
            }
            return stack;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    private static void checkPorts(Options options) {
        if (!options.isExternal()) {
            Ports.requireFree(options.kafkaPort, "Kafka broker", "--kafka-port");
            Ports.requireFree(options.controllerPort, "Kafka controller", "--controller-port");
            Ports.requireFree(options.registryPort, "schema registry", "--registry-port");
        }
        if (!options.infraOnly) {
            for (ServiceSpec service : ServiceSpec.ALL) {
                if (Files.isRegularFile(service.jar(options.repoRoot))) {
                    Ports.requireFree(options.port(service), service.name(), "--" + service.name().replace("metering-", "").replace("-service", "") + "-port");
                }
            }
        }
    }

    private void startInfrastructure() {
        if (options.isExternal()) {
            log.info("using Kafka at {} and the schema registry at {}", options.bootstrapServers, options.schemaRegistryUrl);
            TopicCreator.clusterDefault(options.bootstrapServers).createMissing(Topics.ALL);
            return;
        }
        Path dataDir = options.dataDir;
        synchronized (this) {
            requireOpen();
            broker = new KafkaBroker(KafkaBroker.Settings.defaults(dataDir.resolve("kafka")).withPorts(options.kafkaPort, options.controllerPort)
                    .withFullJit(true));
        }
        broker.start();
        TopicCreator.local(broker.bootstrapServers()).createMissing(Topics.ALL);
        synchronized (this) {
            requireOpen();
            registry = new ApicurioRegistry(ApicurioRegistry.Settings.kafkaSql(dataDir.resolve("registry"), options.registryPort, broker.bootstrapServers())
                    .withJava(options.registryJava));
        }
        registry.start();
    }

    private void startServices() {
        Path logs = options.dataDir.resolve("logs");
        for (ServiceSpec spec : ServiceSpec.ALL) {
            Path jar = spec.jar(options.repoRoot);
            if (!Files.isRegularFile(jar)) {
                notBuilt.add(spec.name());
                log.warn("{}: {} is not built, not starting it (build it with ./mvnw -q -pl {} -am package -DskipTests)",
                        spec.name(), options.repoRoot.relativize(jar), spec.name());
                continue;
            }
            int port = options.port(spec);
            Map<String, String> env = new LinkedHashMap<>();
            env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers());
            env.put("SCHEMA_REGISTRY_URL", schemaRegistryUrl());
            env.put(spec.portEnv(), String.valueOf(port));
            if (spec == ServiceSpec.BILLING_SERVICE) {
                env.put("TOLLGATE_BILLING_GRPC_PORT", String.valueOf(options.extAuthzGrpcPort));
                env.put("TOLLGATE_DECISION_TOKENS", decisionToken);
            }
            env.put("TOLLGATE_ADMIN_TOKENS", adminToken);
            env.put("TOLLGATE_STATE_DIR", options.dataDir.resolve("streams-state").toString());
            env.put("TOLLGATE_INGEST_RAW_STATE_DIR", options.dataDir.resolve("ingest-state").toString());
            log.info("starting {} on port {}", spec.name(), port);
            synchronized (this) {
                requireOpen();
                ManagedProcess process = ManagedProcess.start(spec.name(),
                        List.of(JavaRuntime.current().toString(), SERVICE_JVM_OPTION, "-jar", jar.toString()),
                        options.dataDir, logs.resolve(spec.name() + ".log"), env);
                services.add(new Service(spec, port, process));
            }
        }
        for (Service service : services) {
            awaitReady(service);
            log.info("{} ready on {}", service.spec().name(), service.url());
        }
    }

    private void awaitReady(Service service) {
        long deadline = System.nanoTime() + options.serviceReadyTimeout.toNanos();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest probe = HttpRequest.newBuilder(URI.create(service.url() + "/readyz")).timeout(Duration.ofSeconds(5)).GET().build();
        while (true) {
            try {
                if (http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                log.trace("{} not ready yet: {}", service.spec().name(), e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + service.spec().name(), e);
            }
            if (service.process().awaitExit(Duration.ofMillis(250))) {
                throw new IllegalStateException(service.spec().name() + " exited during start-up; its log " + service.process().logFile()
                        + " ends with:\n" + service.process().logTail(30));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(service.spec().name() + " was not ready (GET /readyz == 200) within "
                        + options.serviceReadyTimeout.toSeconds() + " s; see " + service.process().logFile());
            }
        }
    }

    public String bootstrapServers() {
        return options.isExternal() ? options.bootstrapServers : broker.bootstrapServers();
    }

    public String schemaRegistryUrl() {
        return options.isExternal() ? options.schemaRegistryUrl : registry.confluentUrl();
    }

    public String adminToken() {
        return adminToken;
    }

    /** What gateways present to the decision endpoints: {@code Authorization: Bearer <decision token>}. */
    public String decisionToken() {
        return decisionToken;
    }

    public Path dataDir() {
        return options.dataDir;
    }

    public List<Service> services() {
        return List.copyOf(services);
    }

    /** The URL of {@code spec} if this stack started it. */
    public java.util.Optional<String> url(ServiceSpec spec) {
        return services.stream().filter(s -> s.spec().equals(spec)).map(Service::url).findFirst();
    }

    /** Every port this stack listens on (for checks that they are free again after {@link #close()}). */
    public List<Integer> ports() {
        List<Integer> ports = new ArrayList<>();
        if (broker != null) {
            ports.add(broker.settings().port());
            ports.add(broker.settings().controllerPort());
        }
        if (registry != null) {
            ports.add(options.registryPort);
        }
        services.forEach(s -> ports.add(s.port()));
        return ports;
    }

    /** The process ids of what this stack started, by name (broker, registry, services), for resource sampling. */
    public Map<String, Long> processIds() {
        Map<String, Long> pids = new LinkedHashMap<>();
        if (broker != null) {
            broker.pid().ifPresent(pid -> pids.put("kafka-broker", pid));
        }
        if (registry != null) {
            registry.pid().ifPresent(pid -> pids.put("schema-registry", pid));
        }
        services.forEach(s -> pids.put(s.spec().name(), s.process().pid()));
        return pids;
    }

    /** The banner: every URL, the data directory, the logs, the admin token and the decision token. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("Kafka bootstrap servers   " + bootstrapServers() + (broker == null ? " (external)" : ""));
        lines.add("Schema registry           " + schemaRegistryUrl() + (registry == null ? " (external)" : ""));
        for (Service s : services) {
            lines.add(String.format("%-25s %s", s.spec().name(), s.url()));
        }
        notBuilt.forEach(name -> lines.add(String.format("%-25s not built, not started", name)));
        if (options.infraOnly) {
            lines.add("Services                  not started (--infra-only)");
        }
        lines.add("Admin token               " + adminToken + "   (in " + options.dataDir.resolve(AdminToken.FILE_NAME) + ")");
        lines.add("Decision token            " + decisionToken + "   (in " + options.dataDir.resolve(AdminToken.DECISION_FILE_NAME)
                + "; gateways send Authorization: Bearer <it>)");
        lines.add("Data directory            " + options.dataDir);
        lines.add("Logs                      " + options.dataDir.resolve("logs") + (broker == null ? "" : ", " + broker.logFile() + ", " + registry.logFile()));
        return lines;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the local stack was stopped while it was starting");
        }
    }

    /**
     * Services first (in parallel), then the registry, then the broker. Idempotent. Called while {@link #start} is
     * still running (a Ctrl-C during start-up), it waits for the part being started, stops it, and start fails.
     */
    @Override
    public void close() {
        List<Service> toStop;
        ApicurioRegistry registryToStop;
        KafkaBroker brokerToStop;
        boolean alreadyClosing;
        synchronized (this) {
            alreadyClosing = closed;
            closed = true;
            toStop = List.copyOf(services);
            registryToStop = registry;
            brokerToStop = broker;
        }
        if (alreadyClosing) {
            stopped.join(); // another thread is stopping it: return when that is done, as a close should
            return;
        }
        LIVE.remove(this);
        try {
            List<CompletableFuture<Void>> stopping = new ArrayList<>();
            for (Service s : toStop) {
                log.info("stopping {}", s.spec().name());
                stopping.add(CompletableFuture.runAsync(() -> s.process().stop(Duration.ofSeconds(10))));
            }
            stopping.forEach(CompletableFuture::join);
            if (registryToStop != null) {
                registryToStop.stop();
            }
            if (brokerToStop != null) {
                brokerToStop.stop();
            }
        } finally {
            stopped.complete(null);
        }
    }

    private static void wipe(Path dataDir) {
        if (!Files.exists(dataDir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(dataDir)) {
            List<String> foreign = entries.map(p -> p.getFileName().toString()).filter(n -> !OWN_ENTRIES.contains(n)).toList();
            if (!foreign.isEmpty()) {
                throw new IllegalStateException("--fresh refuses to wipe " + dataDir + ": it holds " + foreign
                        + ", which the local stack did not put there. Remove them yourself or choose another --data-dir");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dataDir, e);
        }
        log.info("wiping {}", dataDir);
        try (Stream<Path> paths = Files.walk(dataDir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot wipe " + dataDir, e);
        }
    }
}
