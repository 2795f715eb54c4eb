package io.tollgate.deploy.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** What Tollgate acknowledged (202 or a broker ack), per consumer: what every balance must add up to at the end. */
final class ExpectedUsage {
    /** Units per meter of one consumer. */
    record Units(long requests, long inputTokens, long outputTokens) {
    }

    private final Map<String, AtomicLongArray> byConsumer = new ConcurrentHashMap<>();
    private final LongAdder events = new LongAdder();

    void accepted(String consumer, long inputTokens, long outputTokens) {
        AtomicLongArray units = byConsumer.computeIfAbsent(consumer, c -> new AtomicLongArray(3));
        units.incrementAndGet(0);
        units.addAndGet(1, inputTokens);
        units.addAndGet(2, outputTokens);
        events.increment();
    }

    void accepted(KongLogTemplate call) {
        accepted(call.consumer(), call.inputTokens(), call.outputTokens());
    }

    long events() {
        return events.sum();
    }

    Map<String, Units> snapshot() {
        Map<String, Units> copy = new TreeMap<>();
        byConsumer.forEach((consumer, units) -> copy.put(consumer, new Units(units.get(0), units.get(1), units.get(2))));
        return copy;
    }
}
