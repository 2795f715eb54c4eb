package io.tollgate.deploy.bench;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * An open-loop schedule: the n-th send is due at {@code start + n / rate}, whatever happened to the sends before it.
 * A slow server therefore cannot slow the load down, and a latency measured from the due time (not from when the
 * send actually happened) includes any queueing behind a stall: no coordinated omission.
 */
final class OpenLoop {
    /** Receives each send when it is due. */
    interface Send {
        void due(long index, long dueNanos);
    }

    private final double perSecond;
    private final long startNanos;

    OpenLoop(double perSecond, long startNanos) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("a rate must be positive: " + perSecond);
        }
        this.perSecond = perSecond;
        this.startNanos = startNanos;
    }

    long dueNanos(long index) {
        return startNanos + (long) (index * 1e9 / perSecond);
    }

    /** How many sends are due by {@code nowNanos}: indices {@code 0 .. dueBy(now) - 1}. */
    long dueBy(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        return (long) Math.floor((nowNanos - startNanos) * perSecond / 1e9) + 1;
    }

    /**
     * Calls {@code send} for every index due before {@code endNanos}, on this thread, each as close to its due time as
     * the timer allows; returns how many were sent. Stops early when {@code stop} says so.
     */
    long run(long endNanos, BooleanSupplier stop, Send send) {
        long sent = 0;
        while (!stop.getAsBoolean()) {
            long now = System.nanoTime();
            long due = dueBy(Math.min(now, endNanos - 1));
            while (sent < due) {
                send.due(sent, dueNanos(sent));
                sent++;
            }
            if (now >= endNanos) {
                return sent;
            }
            long wait = Math.min(dueNanos(sent), endNanos) - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(Math.min(wait, 1_000_000));
            }
        }
        return sent;
    }
}
