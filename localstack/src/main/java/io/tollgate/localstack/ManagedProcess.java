package io.tollgate.localstack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child JVM (or any process) whose output goes to a log file. Stopping asks politely (SIGTERM), then
 * forces (SIGKILL) after a grace period, descendants included, so that no port is left bound behind it.
 * Its standard input is a pipe from this JVM that closes when this JVM dies; JVM children started with
 * {@link ChildWatchdog#javaOption} exit then.
 */
public final class ManagedProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);

    private final String name;
    private final Process process;
    private final Path logFile;

    private ManagedProcess(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /** Starts {@code command} in {@code workDir}, appending its stdout and stderr to {@code logFile}. */
    public static ManagedProcess start(String name, List<String> command, Path workDir, Path logFile, Map<String, String> env) {
        try {
            Files.createDirectories(logFile.getParent());
            Files.createDirectories(workDir);
            // stdin stays a pipe from this JVM, never written to nor closed: when this JVM dies the child reads end of
            // file, which is how a child under ChildWatchdog knows to exit.
            ProcessBuilder builder = new ProcessBuilder(detached(command))
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            builder.environment().putAll(env);
            Process process = builder.start();
            log.debug("started {} (pid {}): {}", name, process.pid(), command);
            return new ManagedProcess(name, process, logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs the child in its own session (setsid execs in place, so the pid stays the child's): a Ctrl-C in the
     * terminal then reaches only the launcher, which stops its children in order, instead of all of them at once.
     */
    private static List<String> detached(List<String> command) {
        if (!Files.isExecutable(SETSID)) {
            return command;
        }
        List<String> out = new java.util.ArrayList<>(command.size() + 1);
        out.add(SETSID.toString());
        out.addAll(command);
        return out;
    }

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    /** Runs {@code command} to completion (bounded by {@code timeout}) and returns its exit code. */
    public static int run(String name, List<String> command, Path workDir, Path logFile, Duration timeout) {
        ManagedProcess p = start(name, command, workDir, logFile, Map.of());
        try {
            if (!p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.kill();
                throw new IllegalStateException(name + " did not finish within " + timeout + "; see " + logFile);
            }
            return p.process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.kill();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public Path logFile() {
        return logFile;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits up to {@code timeout} for the process to exit; returns true if it has exited. Readiness loops use
     * this as their pause between probes, so that a child that dies is noticed at once.
     */
    public boolean awaitExit(Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
    }

    /** The last {@code lines} lines of the log, for error messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, wait up to {@code grace}, then SIGKILL the process and its descendants. */
    public void stop(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        if (!awaitExit(grace)) {
            log.warn("{} (pid {}) did not stop within {} s, killing it", name, process.pid(), grace.toSeconds());
            process.destroyForcibly();
            awaitExit(Duration.ofSeconds(10));
        }
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    /** Sends signal {@code name} ({@code STOP}, {@code CONT}, ...) to the process itself, with {@code kill}. */
    public void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes());
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: " + output.trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + name + " " + process.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + name, e);
        }
    }

    /** SIGKILL at once: a crash, as far as the process can tell. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(15));
    }
}
