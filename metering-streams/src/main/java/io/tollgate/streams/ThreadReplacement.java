package io.tollgate.streams;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stream thread that dies of an unexpected exception is replaced (its tasks restart from the last committed
 * transaction), at most {@code maxReplacements} times over the life of the instance; after that the instance
 * shuts down, so that a supervisor restarts it and the failure is visible instead of looping.
 */
public final class ThreadReplacement implements StreamsUncaughtExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ThreadReplacement.class);
    private final int maxReplacements;
    private final AtomicInteger replaced = new AtomicInteger();

    public ThreadReplacement(int maxReplacements) {
        this.maxReplacements = maxReplacements;
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        int count = replaced.incrementAndGet();
        if (count <= maxReplacements) {
            log.error("stream thread failed; replacing it ({} of at most {})", count, maxReplacements, exception);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        log.error("stream thread failed after {} replacements; shutting this instance down", maxReplacements, exception);
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    public int replacements() {
        return Math.min(replaced.get(), maxReplacements);
    }
}
