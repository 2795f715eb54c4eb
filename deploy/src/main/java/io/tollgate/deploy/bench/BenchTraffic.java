package io.tollgate.deploy.bench;

import io.tollgate.deploy.demo.GatewayPayloads;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The calls the benchmark plays: {@code consumers} funded consumers in turn, three calls in ten of them LLM calls with
 * input and output tokens, each with a request id unique to this run. Deterministic from the call's index, so the
 * Kafka floor can send exactly the same bytes.
 */
final class BenchTraffic {
    static final String CONSUMER_PREFIX = "bench-";

    private final String runId;
    private final List<KongLogTemplate> plain = new ArrayList<>();
    private final List<KongLogTemplate> llm = new ArrayList<>();

    BenchTraffic(GatewayPayloads payloads, int consumers, long runSeed) {
        if (consumers < 1) {
            throw new IllegalArgumentException("the benchmark needs at least one consumer");
        }
        this.runId = String.format(Locale.ROOT, "%08x", runSeed & 0xffffffffL);
        for (int i = 0; i < consumers; i++) {
            String consumer = consumerName(i);
            plain.add(KongLogTemplate.of(payloads, consumer, 0, 0));
            llm.add(KongLogTemplate.of(payloads, consumer, 400 + (i * 37L) % 1_600, 80 + (i * 53L) % 700));
        }
    }

    static String consumerName(int index) {
        return String.format(Locale.ROOT, CONSUMER_PREFIX + "%04d", index);
    }

    List<String> consumers() {
        return plain.stream().map(KongLogTemplate::consumer).toList();
    }

    /** The template of call {@code index}. */
    KongLogTemplate template(long index) {
        int consumer = (int) (index % plain.size());
        return index % 10 < 3 ? llm.get(consumer) : plain.get(consumer);
    }

    /** Request id of call {@code index} in {@code stream} (0: the paced load, 1: the saturation burst, 2: probes). */
    String requestId(int stream, long index) {
        return String.format(Locale.ROOT, "%s%02x%022x", runId, stream, index);
    }

    /** Whether call {@code index} goes through a raw topic (else HTTP), so that a {@code rawShare} of the calls do. */
    static boolean viaRawTopic(long index, double rawShare) {
        return (long) Math.floor((index + 1) * rawShare) > (long) Math.floor(index * rawShare);
    }
}
