package io.tollgate.deploy.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.util.concurrent.TimeUnit;

/**
 * Latencies in microseconds, recorded from any thread (HdrHistogram's {@link Recorder}, 3 significant digits, up to
 * 10 minutes), summarised as the percentiles the report prints.
 */
final class Latency {
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);
    private final Recorder recorder = new Recorder(MAX_MICROS, 3);
    private final Histogram total = new Histogram(MAX_MICROS, 3);

    void recordNanos(long nanos) {
        recorder.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1_000)));
    }

    /** Everything recorded so far. */
    synchronized Summary summary() {
        total.add(recorder.getIntervalHistogram());
        return Summary.of(total);
    }

    /** Count and percentiles in microseconds; {@code count == 0} when nothing was recorded. */
    record Summary(long count, long p50, long p99, long p999, long max) {
        static final Summary NONE = new Summary(0, 0, 0, 0, 0);

        static Summary of(Histogram histogram) {
            if (histogram.getTotalCount() == 0) {
                return NONE;
            }
            return new Summary(histogram.getTotalCount(), histogram.getValueAtPercentile(50),
                    histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue());
        }
    }
}
