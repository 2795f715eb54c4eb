package io.tollgate.billing.decision;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code tollgate.decisions} counts answers by outcome ({@code allow}, {@code deny}, {@code error} for a 500) and reason;
 * {@code tollgate.decision.duration} is the latency histogram from request to response. Meters are created once.
 */
public final class DecisionMetrics {
    private final Counter allowed;
    private final Counter[] denied;
    private final Timer duration;

    public DecisionMetrics(MeterRegistry registry) {
        allowed = Counter.builder("tollgate.decisions").tag("outcome", "allow").tag("reason", "none")
                .description("Decisions answered, by outcome and reason").register(registry);
        Reason[] reasons = Reason.values();
        denied = new Counter[reasons.length];
        for (Reason reason : reasons) {
            denied[reason.ordinal()] = Counter.builder("tollgate.decisions").tag("outcome", reason.status() >= 500 ? "error" : "deny")
                    .tag("reason", reason.code())
                    .description("Decisions answered, by outcome and reason").register(registry);
        }
        duration = Timer.builder("tollgate.decision.duration").description("Time from decision request to response")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(1)).register(registry);
    }

    public void record(Reason reasonOrNullWhenAllowed, long startNanos) {
        if (reasonOrNullWhenAllowed == null) {
            allowed.increment();
        } else {
            denied[reasonOrNullWhenAllowed.ordinal()].increment();
        }
        duration.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}
