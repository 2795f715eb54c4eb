package io.tollgate.deploy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * CPU and memory of each process of the run (the broker, the registry, the services, nginx, this load generator),
 * per phase: CPU as cores used on average (CPU time of the process and its children over wall time), memory as the
 * peak resident set seen by sampling every {@value #SAMPLE_MILLIS} ms (Linux {@code /proc}; elsewhere memory is 0).
 */
final class ResourceSampler implements AutoCloseable {
    static final long SAMPLE_MILLIS = 250;

    /** One process over one phase. */
    record Usage(double cores, long peakRssBytes) {
    }

    /** One phase: its wall time and each process's usage, in the order the processes were added. */
    record Phase(String name, Duration wall, Map<String, Usage> processes) {
    }

    /** A process, with its children (nginx's workers) or without (this JVM, whose children are the stack). */
    record Watched(long pid, boolean withChildren) {
    }

    private final Map<String, Watched> pids = new ConcurrentHashMap<>();
    private final Map<String, Long> order = new ConcurrentHashMap<>();
    private final Map<String, Long> cpuAtStart = new ConcurrentHashMap<>();
    private final Map<String, Long> peakRss = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile String phase;
    private volatile long phaseStart;

    ResourceSampler() {
        thread = new Thread(() -> {
            while (!closed) {
                if (phase != null) {
                    pids.forEach((name, pid) -> peakRss.merge(name, rssBytes(pid), Math::max));
                }
                java.util.concurrent.locks.LockSupport.parkNanos(SAMPLE_MILLIS * 1_000_000);
            }
        }, "bench-resource-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    void watch(String name, long pid, boolean withChildren) {
        order.putIfAbsent(name, (long) order.size());
        pids.put(name, new Watched(pid, withChildren));
    }

    void forget(String name) {
        pids.remove(name);
    }

    synchronized void begin(String name) {
        cpuAtStart.clear();
        peakRss.clear();
        pids.forEach((process, pid) -> {
            cpuAtStart.put(process, cpuNanos(pid));
            peakRss.put(process, rssBytes(pid));
        });
        phaseStart = System.nanoTime();
        phase = name;
    }

    synchronized Phase end() {
        long wall = System.nanoTime() - phaseStart;
        Map<String, Usage> usage = new LinkedHashMap<>();
        pids.entrySet().stream().sorted(Map.Entry.comparingByKey((a, b) -> Long.compare(order.get(a), order.get(b))))
                .forEach(entry -> {
                    Long before = cpuAtStart.get(entry.getKey());
                    long cpu = before == null ? 0 : cpuNanos(entry.getValue()) - before;
                    long rss = Math.max(peakRss.getOrDefault(entry.getKey(), 0L), rssBytes(entry.getValue()));
                    usage.put(entry.getKey(), new Usage(wall == 0 ? 0 : (double) cpu / wall, rss));
                });
        Phase done = new Phase(phase, Duration.ofNanos(wall), usage);
        phase = null;
        return done;
    }

    /** CPU time of the process (and its descendants if asked), from the OS. */
    static long cpuNanos(Watched process) {
        return family(process).mapToLong(handle -> handle.info().totalCpuDuration().map(Duration::toNanos).orElse(0L)).sum();
    }

    /** Resident set of the process (and its descendants if asked): VmRSS from /proc/PID/status, 0 where there is none. */
    static long rssBytes(Watched process) {
        return family(process).mapToLong(handle -> vmRssBytes(Path.of("/proc", String.valueOf(handle.pid()), "status"))).sum();
    }

    static long vmRssBytes(Path status) {
        try (Stream<String> lines = Files.lines(status)) {
            return lines.filter(line -> line.startsWith("VmRSS:")).findFirst()
                    .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024).orElse(0L);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Stream<ProcessHandle> family(Watched process) {
        Optional<ProcessHandle> handle = ProcessHandle.of(process.pid());
        return handle.map(h -> process.withChildren() ? Stream.concat(Stream.of(h), h.descendants()) : Stream.of(h)).orElseGet(Stream::empty);
    }

    @Override
    public void close() {
        closed = true;
    }
}
