package io.tollgate.localstack.junit;

import io.tollgate.localstack.ApicurioRegistry;
import io.tollgate.localstack.KafkaBroker;
import io.tollgate.localstack.Ports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * A forked KRaft broker and an in-memory Apicurio registry on free loopback ports, with their data in a
 * temporary directory that is deleted on close (kept, with the logs, when {@code tollgate.stack.keep} is set).
 */
final class EmbeddedStack extends AbstractStack {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedStack.class);

    private final Path dataDir;
    private final KafkaBroker broker;
    private final ApicurioRegistry registry;
    private final Thread onExit = new Thread(this::stopProcesses, "tollgate-test-stack-exit");

    private EmbeddedStack(Path dataDir) {
        this.dataDir = dataDir;
        this.broker = new KafkaBroker(KafkaBroker.Settings.onFreePorts(dataDir.resolve("kafka")));
        this.registry = new ApicurioRegistry(ApicurioRegistry.Settings.inMemory(dataDir.resolve("registry"), Ports.free()));
    }

    static EmbeddedStack start() {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("tollgate-stack-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the test stack", e);
        }
        EmbeddedStack stack = new EmbeddedStack(dataDir);
        // A test JVM killed by a timeout must not leave a broker and a registry behind it.
        Runtime.getRuntime().addShutdownHook(stack.onExit);
        log.info("starting the embedded test stack in {}", dataDir);
        // The registry keeps schemas in memory, so it needs no broker: start both at once.
        CompletableFuture<Void> registryStarted = CompletableFuture.runAsync(stack.registry::start);
        try {
            stack.broker.start();
            registryStarted.join();
        } catch (RuntimeException e) {
            try {
                registryStarted.join();
            } catch (CompletionException ignored) {
                // the first failure is the one to report
            }
            stack.close();
            throw e instanceof CompletionException && e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        log.info("embedded test stack ready: Kafka {}, schema registry {}", stack.bootstrapServers(), stack.schemaRegistryUrl());
        return stack;
    }

    @Override
    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    @Override
    public String schemaRegistryUrl() {
        return registry.confluentUrl();
    }

    @Override
    public void stopBroker() {
        closeAdmin(); // an idle Admin client would warn about the closed port until the broker is back
        broker.stop();
    }

    @Override
    public void killBroker() {
        closeAdmin();
        broker.kill();
    }

    @Override
    public void startBroker() {
        broker.start();
    }

    @Override
    public void freezeBroker() {
        broker.freeze();
    }

    @Override
    public void thawBroker() {
        broker.thaw();
    }

    @Override
    public Mode mode() {
        return Mode.EMBEDDED;
    }

    private void stopProcesses() {
        registry.stop();
        if (broker.isRunning()) {
            broker.thaw(); // a broker a test left frozen would not hear SIGTERM until the SIGKILL
        }
        broker.stop();
    }

    @Override
    public void close() {
        closeAdmin();
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException alreadyExiting) {
            // the JVM is shutting down: the hook runs or has run
        }
        if (Boolean.getBoolean("tollgate.stack.keep")) {
            log.info("keeping the test stack's data and logs in {}", dataDir);
            return;
        }
        try (Stream<Path> paths = Files.walk(dataDir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", dataDir, e.toString());
        }
    }
}
