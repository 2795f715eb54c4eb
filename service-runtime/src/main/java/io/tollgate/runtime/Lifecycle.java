package io.tollgate.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Start-up and shutdown of a service process: resources are closed in reverse order of registration,
 * once, from a JVM shutdown hook (SIGTERM, SIGINT) or from {@link #close()}. From the hook, closing is bounded
 * by a deadline ({@value EnvConfig#SHUTDOWN_TIMEOUT_MS}), after which the JVM halts.
 */
public final class Lifecycle implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);
    private final String service;
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private boolean closing;

    public Lifecycle(String service) {
        this.service = service;
    }

    /** Registers {@code resource} to be closed at shutdown; returns it. */
    public synchronized <T extends AutoCloseable> T register(T resource) {
        resources.push(resource);
        return resource;
    }

    /**
     * Closes everything on SIGTERM/SIGINT, and halts the JVM if that takes longer than {@code deadline}: a Kafka
     * client that keeps waiting for a broker that is gone must not keep the process, and its ports, alive.
     */
    public Lifecycle installShutdownHook(Duration deadline) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeWithin(deadline, () -> Runtime.getRuntime().halt(1)),
                service + "-shutdown"));
        return this;
    }

    /**
     * {@link #close()}, with {@code halt} run by a daemon thread if closing is not done after {@code deadline}.
     * Called from the shutdown hook; {@code halt} is a parameter so that tests need not stop their JVM.
     */
    void closeWithin(Duration deadline, Runnable halt) {
        Thread watchdog = new Thread(() -> {
            try {
                if (!closed.await(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.error("{} did not stop within {} ms; halting", service, deadline.toMillis());
                    halt.run();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, service + "-shutdown-deadline");
        watchdog.setDaemon(true);
        watchdog.start();
        close();
    }

    /** Blocks until {@link #close()} has run. */
    public void awaitShutdown() throws InterruptedException {
        closed.await();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        log.info("{} stopping", service);
        AutoCloseable next;
        while ((next = poll()) != null) {
            try {
                next.close();
            } catch (Exception e) {
                log.warn("{}: error while closing {}", service, next, e);
            }
        }
        log.info("{} stopped", service);
        closed.countDown();
    }

    private synchronized AutoCloseable poll() {
        return resources.poll();
    }
}
