package io.tollgate.localstack;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Child JVMs under the watchdog agent: they stop when their stdin closes, and a hanging shutdown is cut short. */
class ChildWatchdogTest {
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    private Process child(Duration deadline, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(JavaRuntime.current().toString(), ChildWatchdog.javaOption(deadline),
                "-cp", System.getProperty("java.class.path"), SleepingChild.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(process);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("up");
        return process;
    }

    @Test
    void aChildExitsWhenItsStdinClosesAsItDoesWhenTheLauncherDies() throws Exception {
        Process process = child(Duration.ofSeconds(10));

        process.getOutputStream().close();

        assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("exited").isTrue();
        assertThat(process.exitValue()).isEqualTo(1);
    }

    @Test
    void aChildWhoseShutdownHangsIsHaltedAtTheDeadlineAfterSigterm() throws Exception {
        Process process = child(Duration.ofMillis(1500), "hang-on-exit");

        long began = System.nanoTime();
        process.destroy();

        assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("exited").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(8));
        assertThat(process.exitValue()).isEqualTo(1);
    }

    @Test
    void aChildKeepsRunningWhileItsStdinStaysOpen() throws Exception {
        Process process = child(Duration.ofSeconds(10));

        assertThat(process.waitFor(1, TimeUnit.SECONDS)).as("exited").isFalse();
    }

    @Test
    void theAgentJarHoldsTheWatchdogClassAndNamesItAsPremainClass() throws Exception {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(ChildWatchdog.agentJar().toFile())) {
            assertThat(jar.getManifest().getMainAttributes().getValue("Premain-Class")).isEqualTo(ChildWatchdog.class.getName());
            assertThat(jar.stream().map(java.util.jar.JarEntry::getName).filter(n -> !n.startsWith("META-INF/")))
                    .containsExactly("io/tollgate/localstack/ChildWatchdog.class");
        }
    }
}
