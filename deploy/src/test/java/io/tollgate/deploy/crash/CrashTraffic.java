package io.tollgate.deploy.crash;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The calls of a crash run and the order they are delivered in, from a fixed seed. Each distinct call goes once by
 * HTTP (canonical JSON batches to metering-ingest) or by the raw CloudEvents topic; {@link #DUPLICATE_PERCENT} percent
 * of them are delivered a second time, later and by either path, as a gateway that retries or logs twice would.
 * Both paths name the same {@link #SOURCE}, so a call and its duplicate share the dedup identity (source, id).
 */
final class CrashTraffic {
    static final String SOURCE = "gw-crash-1";
    static final int DUPLICATE_PERCENT = 20;
    static final int HTTP_BATCH = 50;
    static final int TOPIC_BATCH = 20;
    static final String REQUESTS = "requests";
    static final String INPUT_TOKENS = "input_tokens";
    static final String OUTPUT_TOKENS = "output_tokens";
    /** Calls take the same path in blocks of this many (60 % HTTP, 40 % topic), as each gateway has its own. */
    private static final int PATH_BLOCK = 40;
    /** A duplicate comes at least this many deliveries after its original: never in the same batch. */
    private static final int MIN_DUPLICATE_DISTANCE = 2 * Math.max(HTTP_BATCH, TOPIC_BATCH);
    private static final int MAX_DUPLICATE_DISTANCE = 2_000;

    record Call(String id, String consumer, Instant time, Map<String, Long> meters) {
    }

    enum Path { HTTP, TOPIC }

    /** One HTTP request or one raw-topic record; {@code duplicates} of its calls were delivered before. */
    record Batch(Path path, List<Call> calls, int duplicates) {
    }

    private final List<Call> calls;
    private final List<Batch> batches;

    private CrashTraffic(List<Call> calls, List<Batch> batches) {
        this.calls = calls;
        this.batches = batches;
    }

    /** Every distinct call: what the balances must add up to. */
    List<Call> calls() {
        return calls;
    }

    /** Every delivery in order: each call once, plus the planned duplicates. */
    List<Batch> batches() {
        return batches;
    }

    int deliveries() {
        return batches.stream().mapToInt(b -> b.calls().size()).sum();
    }

    int duplicates() {
        return batches.stream().mapToInt(Batch::duplicates).sum();
    }

    /**
     * @param idPrefix makes the ids of this run its own
     * @param notBefore event times are in the second that starts here (after the accounts exist, so streams rates
     *                  every call with the plan; all in one billing period unless the run straddles a month's end)
     */
    static CrashTraffic generate(int events, List<String> consumers, long seed, String idPrefix, Instant notBefore) {
        Random random = new Random(seed);
        List<Call> calls = new ArrayList<>(events);
        List<Path> paths = new ArrayList<>(events);
        Path blockPath = Path.HTTP;
        for (int i = 0; i < events; i++) {
            if (i % PATH_BLOCK == 0) {
                blockPath = random.nextInt(10) < 6 ? Path.HTTP : Path.TOPIC;
            }
            Map<String, Long> meters = new LinkedHashMap<>();
            meters.put(REQUESTS, 1L);
            if (random.nextInt(10) < 4) {
                meters.put(INPUT_TOKENS, 100L + random.nextInt(3_900));
                meters.put(OUTPUT_TOKENS, 20L + random.nextInt(980));
            }
            calls.add(new Call(idPrefix + "-" + i, consumers.get(random.nextInt(consumers.size())),
                    notBefore.plusMillis(random.nextInt(1_000)), Collections.unmodifiableMap(meters)));
            paths.add(blockPath);
        }

        List<Integer> shuffled = new ArrayList<>(events);
        for (int i = 0; i < events; i++) {
            shuffled.add(i);
        }
        Collections.shuffle(shuffled, random);
        record Duplicate(int after, int call, Path path) {
        }
        PriorityQueue<Duplicate> pending = new PriorityQueue<>(Comparator.comparingInt(Duplicate::after));
        for (int call : shuffled.subList(0, events * DUPLICATE_PERCENT / 100)) {
            int distance = MIN_DUPLICATE_DISTANCE + random.nextInt(MAX_DUPLICATE_DISTANCE - MIN_DUPLICATE_DISTANCE);
            pending.add(new Duplicate(call + distance, call, random.nextBoolean() ? Path.HTTP : Path.TOPIC));
        }

        BatchBuilder builder = new BatchBuilder();
        for (int i = 0; i < events; i++) {
            builder.add(paths.get(i), calls.get(i), false);
            while (!pending.isEmpty() && pending.peek().after() <= i) {
                Duplicate d = pending.poll();
                builder.add(d.path(), calls.get(d.call()), true);
            }
        }
        while (!pending.isEmpty()) {
            Duplicate d = pending.poll();
            builder.add(d.path(), calls.get(d.call()), true);
        }
        return new CrashTraffic(List.copyOf(calls), builder.finish());
    }

    /** Consecutive deliveries by the same path share a batch, up to the path's batch size. */
    private static final class BatchBuilder {
        private final List<Batch> batches = new ArrayList<>();
        private Path path;
        private List<Call> current = new ArrayList<>();
        private int duplicates;

        void add(Path next, Call call, boolean duplicate) {
            int limit = next == Path.HTTP ? HTTP_BATCH : TOPIC_BATCH;
            if (next != path || current.size() == limit) {
                flush();
                path = next;
            }
            current.add(call);
            duplicates += duplicate ? 1 : 0;
        }

        private void flush() {
            if (!current.isEmpty()) {
                batches.add(new Batch(path, List.copyOf(current), duplicates));
            }
            current = new ArrayList<>();
            duplicates = 0;
        }

        List<Batch> finish() {
            flush();
            return List.copyOf(batches);
        }
    }
}
