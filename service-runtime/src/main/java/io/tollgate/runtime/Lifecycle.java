package io.tollgate.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;

/**
 * Start-up and shutdown of a service process: resources are closed in reverse order of registration,
 * once, from a JVM shutdown hook (SIGTERM, SIGINT) or from {@link #close()}.
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

    /** Closes everything on SIGTERM/SIGINT. */
    public Lifecycle installShutdownHook() {
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, service + "-shutdown"));
        return this;
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
