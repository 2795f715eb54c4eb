package io.tollgate.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/**
 * The meters of metering-ingest. Events are counted by input format ({@code canonical}, {@code kong}...)
 * and, for rejections and skips, by a reason from a closed set; requests refused before their events are
 * known (401, 413 on size, 415) are counted per request.
 */
public final class IngestMetrics {
    public static final String ACCEPTED = "tollgate.ingest.events.accepted";
    public static final String REJECTED = "tollgate.ingest.events.rejected";
    public static final String SKIPPED = "tollgate.ingest.events.skipped";
    public static final String REQUESTS_REFUSED = "tollgate.ingest.requests.refused";
    public static final String DEAD_LETTERS = "tollgate.ingest.dead.letters";
    public static final String RAW_NORMALIZED = "tollgate.ingest.raw.events.normalized";
    public static final String PUBLISH_LATENCY = "tollgate.ingest.publish.latency";

    private final MeterRegistry registry;
    private final Timer publishLatency;

    public IngestMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.publishLatency = Timer.builder(PUBLISH_LATENCY)
                .description("Time from handing a request's events to the producer until Kafka acknowledged all of them")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void accepted(String format, int events) {
        counter(ACCEPTED, "Events acknowledged by Kafka and answered 202", "format", format).increment(events);
    }

    public void rejected(String format, String reason, int events) {
        counter(REJECTED, "Events of requests answered 400 or 503, by reason", "format", format, "reason", reason).increment(events);
    }

    public void skipped(String format, String reason) {
        counter(SKIPPED, "Well-formed records that are not billed, by reason", "format", format, "reason", reason).increment();
    }

    public void refused(String endpoint, String reason) {
        counter(REQUESTS_REFUSED, "Requests refused before their events were read (401, 413, 415)", "endpoint", endpoint, "reason", reason).increment();
    }

    public void deadLetter(String topic, String stage) {
        counter(DEAD_LETTERS, "Raw records written to the dead-letter topic", "topic", topic, "stage", stage).increment();
    }

    public void rawNormalized(String format, int events) {
        counter(RAW_NORMALIZED, "UsageEvents produced from raw gateway topics", "format", format).increment(events);
    }

    public Timer publishLatency() {
        return publishLatency;
    }

    private Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }
}
