package io.tollgate.deploy;

import io.tollgate.localstack.JavaRuntime;
import io.tollgate.localstack.Ports;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Children of the local stack never outlive their launcher, and every process of it stops on time whatever Kafka's
 * state: the real {@code ./tollgate up} launcher JVM ({@code java -jar deploy/target/deploy.jar up}) SIGKILLed, and
 * each service SIGTERMed after the broker is gone.
 */
@Tag("integration")
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class ProcessLifetimeIT {
    private static final Duration NOTHING_LEFT_WITHIN = Duration.ofSeconds(20);
    private static final Duration SIGTERM_EXIT_WITHIN = Duration.ofSeconds(15);

    @Test
    void aSigkilledLauncherLeavesNoProcessOfTheStackAndNoPortBoundWithin20Seconds(@TempDir Path dir) throws Exception {
        Path repo = TollgateCli.repoRoot();
        Path deployJar = repo.resolve("deploy/target/deploy.jar");
        requireBuilt(repo, deployJar);
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (String option : List.of("--kafka-port", "--controller-port", "--registry-port", "--ingest-port", "--streams-port",
                "--billing-port", "--grpc-port")) {
            ports.put(option, Ports.free());
        }
        List<String> command = new ArrayList<>(List.of(JavaRuntime.current().toString(), "-jar", deployJar.toString(),
                "up", "--data-dir", dir.resolve("data").toString()));
        ports.forEach((option, port) -> {
            command.add(option);
            command.add(Integer.toString(port));
        });
        Path output = dir.resolve("up.log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("TOLLGATE_HOME", repo.toString());
        Process launcher = builder.start();
        List<ProcessHandle> stack = List.of();
        try {
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                assertThat(launcher.isAlive()).as("the launcher exited; its output:%n%s", read(output)).isTrue();
                return read(output).contains("Tollgate is up.");
            });
            stack = launcher.descendants().toList();
            assertThat(stack).as("broker, registry and the three services").hasSizeGreaterThanOrEqualTo(5);
            assertThat(ports.values()).allSatisfy(port -> assertThat(Ports.isListening(port)).as("port %d", port).isTrue());

            launcher.destroyForcibly();
            long killed = System.nanoTime();
            assertThat(launcher.waitFor(10, TimeUnit.SECONDS)).isTrue();
            List<ProcessHandle> children = stack;
            await().atMost(NOTHING_LEFT_WITHIN).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(children).as("processes of the stack").noneMatch(ProcessHandle::isAlive);
                assertThat(ports.values()).allSatisfy(port -> assertThat(Ports.isFree(port)).as("port %d", port).isTrue());
            });
            System.out.printf("launcher SIGKILLed: %d processes gone and %d ports free after %d ms%n", children.size(), ports.size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
        } finally {
            launcher.destroyForcibly();
            stack.forEach(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void everyServiceAndTheRegistryExitWithin15SecondsOfSigtermOnceTheBrokerIsGone(@TempDir Path dir) throws Exception {
        Path repo = TollgateCli.repoRoot();
        requireBuilt(repo, null);
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(repo).onFreePorts().dataDir(dir.resolve("data")))) {
            Map<String, Long> pids = new LinkedHashMap<>(stack.processIds());
            assertThat(pids).containsKeys("kafka-broker", "schema-registry", "metering-ingest", "metering-streams", "billing-service");
            ProcessHandle broker = ProcessHandle.of(pids.remove("kafka-broker")).orElseThrow();
            broker.destroyForcibly();
            broker.onExit().get(30, TimeUnit.SECONDS);

            Map<String, CompletableFuture<Long>> exits = new LinkedHashMap<>();
            for (Map.Entry<String, Long> child : pids.entrySet()) {
                ProcessHandle process = ProcessHandle.of(child.getValue()).orElseThrow();
                long signalled = System.nanoTime();
                assertThat(process.destroy()).as("SIGTERM to %s", child.getKey()).isTrue();
                exits.put(child.getKey(), process.onExit().thenApply(gone -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled)));
            }
            Map<String, Long> tookMs = new LinkedHashMap<>();
            for (Map.Entry<String, CompletableFuture<Long>> exit : exits.entrySet()) {
                // Long.MAX_VALUE: still running 5 s past the bound (the stack's close kills it afterwards)
                tookMs.put(exit.getKey(), exit.getValue().completeOnTimeout(Long.MAX_VALUE, SIGTERM_EXIT_WITHIN.toMillis() + 5_000,
                        TimeUnit.MILLISECONDS).get());
            }
            System.out.println("broker SIGKILLed, then SIGTERM: exited after (ms) " + tookMs);
            assertThat(tookMs).allSatisfy((name, ms) -> assertThat(ms).as("ms from SIGTERM to the exit of %s", name)
                    .isLessThan(SIGTERM_EXIT_WITHIN.toMillis()));
        }
    }

    private static void requireBuilt(Path repo, Path deployJar) {
        List<Path> jars = new ArrayList<>(ServiceSpec.ALL.stream().map(spec -> spec.jar(repo)).toList());
        if (deployJar != null) {
            jars.add(deployJar);
        }
        assertThat(jars).as("build the jars first: ./mvnw -DskipTests package").allSatisfy(jar -> assertThat(jar).isRegularFile());
    }

    private static String read(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file) : "";
    }
}
