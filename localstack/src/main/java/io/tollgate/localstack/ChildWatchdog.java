package io.tollgate.localstack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.CRC32;

/**
 * A Java agent that ties a child JVM of the local stack to its launcher, added as {@code -javaagent} to every child
 * (broker, registry, services), so that it works for jars Tollgate cannot change (Apicurio's Quarkus jar, Kafka):
 *
 * <ul>
 * <li>{@code stdin}: the child's standard input is a pipe from the launcher, which never writes to it. When the launcher
 *     dies, however it dies (SIGKILL, an OOM kill, a closed terminal), the kernel closes the pipe, a read returns end of
 *     file, and the child exits as on SIGTERM. Children run in their own session (setsid), so no signal would reach them.</li>
 * <li>{@code deadline=MS}: once the JVM starts to shut down (SIGTERM, end of stdin, {@code System.exit}), it is halted
 *     after MS milliseconds if its shutdown hooks have not finished: a broker-less Kafka client that keeps retrying in a
 *     hook no longer holds the process, and its ports, for half a minute.</li>
 * </ul>
 *
 * Only JDK classes, no nested classes: the agent jar holds this one class file and nothing that could clash with the
 * child's own class path.
 */
public final class ChildWatchdog {
    static final String PROPERTY_PREFIX = "tollgate.watchdog.";

    private ChildWatchdog() {
    }

    /** {@code -javaagent:<jar>=stdin,deadline=<ms>}: the JVM option that puts a child under this watchdog. */
    public static String javaOption(Duration exitDeadline) {
        return "-javaagent:" + agentJar() + "=stdin,deadline=" + exitDeadline.toMillis();
    }

    public static void premain(String arguments) {
        boolean watchStdin = false;
        long deadlineMs = -1;
        for (String argument : (arguments == null ? "" : arguments).split(",")) {
            String option = argument.trim();
            if (option.equals("stdin")) {
                watchStdin = true;
            } else if (option.startsWith("deadline=")) {
                deadlineMs = Long.parseLong(option.substring("deadline=".length()));
            }
        }
        if (deadlineMs > 0) {
            long deadline = deadlineMs;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> armDeadline(deadline), "tollgate-watchdog-deadline"));
        }
        if (watchStdin) {
            Thread watcher = new Thread(ChildWatchdog::exitAtEndOfInput, "tollgate-watchdog-stdin");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    /** Runs in a shutdown hook: returns at once, leaving a daemon thread that halts the JVM if it is still there later. */
    private static void armDeadline(long deadlineMs) {
        Thread halter = new Thread(() -> {
            try {
                Thread.sleep(deadlineMs);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("[tollgate-watchdog] shutdown still running after " + deadlineMs + " ms: halting");
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }, "tollgate-watchdog-halt");
        halter.setDaemon(true);
        halter.start();
    }

    private static void exitAtEndOfInput() {
        byte[] buffer = new byte[256];
        try {
            InputStream in = System.in;
            while (in.read(buffer) >= 0) {
                // the launcher writes nothing; only the end of the stream matters
            }
        } catch (IOException e) {
            // a broken pipe is the launcher gone as well
        }
        System.err.println("[tollgate-watchdog] the launcher is gone (stdin closed): stopping");
        System.err.flush();
        System.exit(1);
    }

    /**
     * The agent jar, written once per version of this class into the cache directory: the child's class path may not
     * contain this class (the registry), and a jar with a {@code Premain-Class} is what {@code -javaagent} takes.
     */
    static synchronized Path agentJar() {
        byte[] classBytes = classBytes();
        CRC32 crc = new CRC32();
        crc.update(classBytes);
        Path jar = ApicurioRegistry.cacheDir().resolve("tollgate-watchdog-" + Long.toHexString(crc.getValue()) + ".jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        try {
            Files.createDirectories(jar.getParent());
            Path staging = Files.createTempFile(jar.getParent(), "tollgate-watchdog-", ".jar.tmp");
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), ChildWatchdog.class.getName());
            try (OutputStream file = Files.newOutputStream(staging); JarOutputStream out = new JarOutputStream(file, manifest)) {
                out.putNextEntry(new JarEntry(ChildWatchdog.class.getName().replace('.', '/') + ".class"));
                out.write(classBytes);
                out.closeEntry();
            }
            try {
                Files.move(staging, jar, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(staging, jar, StandardCopyOption.REPLACE_EXISTING);
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the child watchdog agent " + jar, e);
        }
    }

    private static byte[] classBytes() {
        String resource = ChildWatchdog.class.getSimpleName() + ".class";
        try (InputStream in = ChildWatchdog.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("cannot find " + resource + " on the class path");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
