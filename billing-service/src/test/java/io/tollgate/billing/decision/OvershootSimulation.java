package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.schemas.money.Money;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One prepaid consumer hammering Tollgate through several gateway nodes, with the whole pipeline simulated on a virtual
 * clock, deterministic (seeded, no threads, no wall clock):
 * <ul>
 *   <li>every millisecond each gateway node makes its calls; each asks one of the decision instances (round robin, as a
 *       load balancer would) and every allowed call is logged as one usage event with its real usage;</li>
 *   <li>each node ships its log like the gateway's logger does: HTTP nodes in batches (Kong's queue: up to 100 entries or
 *       50 ms), 5 % of which are sent twice (a retry); raw-topic nodes in small batches (a producer's linger) through
 *       one more exactly-once hop; each batch lands after its path's delay plus a random jitter, so events of one
 *       consumer reach metering-streams out of time order;</li>
 *   <li>metering-streams counts each event once (dedup), applies top-ups and plan changes when they arrive, and
 *       publishes the balance every 100 ms ({@code eventsCounted}, usage, credits, prices, {@code lastEventTime});</li>
 *   <li>each decision instance receives every balance a few milliseconds later (its own delay) and decides with one of
 *       three settlement rules: the real {@link DecisionService} (admissions settled by events counted), the rule used
 *       before ({@link EventTimeAdmissions}: settled by the balance's event time), or no admissions at all.</li>
 * </ul>
 * Once every event is counted: overshoot = (spent − credits granted) / credits granted.
 *
 * <p>{@code java -cp ... io.tollgate.billing.decision.OvershootSimulation} prints the README's table;
 * {@code ... OvershootSimulation realtime} the wall-clock run. {@code OvershootTest} locks the figures.
 */
public final class OvershootSimulation {
    static final String CONSUMER = "acme";
    static final long START = Instant.parse("2026-11-21T10:00:00Z").toEpochMilli();
    /** 0.001 per request. */
    static final long REQUEST_PRICE_NANOS = 1_000_000;
    /** 1.00 per million input tokens. */
    static final long TOKEN_PRICE_NANOS = 1_000_000_000;
    static final long TOKENS_PER = 1_000_000;
    static final long BALANCE_EVERY_MILLIS = 100;
    static final long ACCOUNT_DELAY_MILLIS = 20;
    static final long HORIZON_MILLIS = 2_000;
    static final long ONE_DOLLAR = 1_000_000;
    static final long HALF_A_DOLLAR = 500_000;

    /** How a decision instance counts what it admitted that its balance may not count yet. */
    enum Settlement {
        COUNTED("settled by events counted"), EVENT_TIME("settled by event time (before)"), NONE("no admissions");

        final String label;

        Settlement(String label) {
            this.label = label;
        }
    }

    /** What a call declares and what it really uses. */
    enum Usage {
        ONE_REQUEST("none declared, one request used"),
        TOKENS("100-2,000 input tokens declared and used"),
        TOKENS_HALF_USED("tokens declared, half used"),
        TOKENS_TWICE_USED("tokens declared, twice used");

        final String label;

        Usage(String label) {
            this.label = label;
        }
    }

    /**
     * How a gateway node's log reaches metering-streams: batches of up to {@code batchMax} events, sent when full or
     * {@code batchWaitMillis} after their first event, landing {@code delayMillis} plus up to {@code jitterMillis} later;
     * {@code retryShare} of the batches are sent a second time 500 ms later.
     */
    record Path(String name, int batchMax, long batchWaitMillis, long delayMillis, long jitterMillis, double retryShare) {
        static final Path HTTP = new Path("HTTP", 100, 50, 50, 100, 0.05);
        static final Path RAW = new Path("raw topic", 10, 5, 300, 300, 0);
    }

    record TopUp(long atMillis, long micros) {
    }

    /** The consumer's plan changes its request price at {@code atMillis}. */
    record PlanChange(long atMillis, long requestPriceNanos) {
    }

    /**
     * @param routedByConsumer the load balancer sends all of a consumer's calls to one instance (hash of the consumer
     *                         id) instead of spreading them round robin
     */
    record Scenario(String name, int httpNodes, int rawNodes, int callsPerMilliPerNode, int instances, boolean routedByConsumer,
                    Usage usage, long creditsMicros, List<TopUp> topUps, PlanChange planChange, long seed) {
        static final List<TopUp> TWO_TOP_UPS = List.of(new TopUp(150, HALF_A_DOLLAR), new TopUp(400, HALF_A_DOLLAR));

        long grantedMicros() {
            return creditsMicros + topUps.stream().mapToLong(TopUp::micros).sum();
        }
    }

    /**
     * @param boundMicros what the README's formula allows beyond the credits for this scenario: (N − 1) × granted for N
     *                    instances sharing a consumer's calls (0 when they are routed by consumer), plus the under-declared cost of the calls each instance had in flight at its last
     *                    admission (plus 1 micro-unit per instance for the rounding of period totals)
     */
    record Result(long grantedMicros, long allowedCalls, long spentMicros, long boundMicros) {
        long overspendMicros() {
            return spentMicros - grantedMicros;
        }

        double overshoot() {
            return overspendMicros() / (double) grantedMicros;
        }
    }

    private OvershootSimulation() {
    }

    /** The scenarios of the README's table, in order. */
    static List<Scenario> scenarios() {
        List<TopUp> none = List.of();
        List<TopUp> two = Scenario.TWO_TOP_UPS;
        PlanChange rise = new PlanChange(50, REQUEST_PRICE_NANOS * 3 / 2);
        return List.of(
                new Scenario("one node over HTTP", 1, 0, 8, 1, false, Usage.ONE_REQUEST, ONE_DOLLAR, none, null, 1),
                new Scenario("4 nodes, 2 HTTP + 2 raw topic", 2, 2, 2, 1, false, Usage.ONE_REQUEST, ONE_DOLLAR, none, null, 2),
                new Scenario("the same, two top-ups in flight", 2, 2, 2, 1, false, Usage.ONE_REQUEST, ONE_DOLLAR, two, null, 3),
                new Scenario("the same, and a price rise in flight", 2, 2, 2, 1, false, Usage.ONE_REQUEST, ONE_DOLLAR, two, rise, 4),
                new Scenario("LLM calls, tokens declared honestly", 2, 2, 2, 1, false, Usage.TOKENS, ONE_DOLLAR, two, null, 5),
                new Scenario("LLM calls, half the tokens used", 2, 2, 2, 1, false, Usage.TOKENS_HALF_USED, ONE_DOLLAR, two, null, 6),
                new Scenario("LLM calls, twice the tokens used", 2, 2, 2, 1, false, Usage.TOKENS_TWICE_USED, ONE_DOLLAR, two, null, 7),
                new Scenario("2 decision instances, two top-ups", 2, 2, 2, 2, false, Usage.ONE_REQUEST, ONE_DOLLAR, two, null, 8),
                new Scenario("4 decision instances, two top-ups", 2, 2, 2, 4, false, Usage.ONE_REQUEST, ONE_DOLLAR, two, null, 9),
                new Scenario("4 instances, calls routed by consumer", 2, 2, 2, 4, true, Usage.ONE_REQUEST, ONE_DOLLAR, two, null, 10));
    }

    /** One allowed call, followed through the pipeline. */
    private static final class Call {
        final long id;
        final long admittedAt;
        final int instance;
        final long declaredTokens;
        final long realTokens;
        long countedAt = -1;

        Call(long id, long admittedAt, int instance, long declaredTokens, long realTokens) {
            this.id = id;
            this.admittedAt = admittedAt;
            this.instance = instance;
            this.declaredTokens = declaredTokens;
            this.realTokens = realTokens;
        }
    }

    /** Something landing at metering-streams: a usage event, a top-up or a plan change. */
    private record Arrival(long at, long seq, Call call, TopUp topUp, PlanChange planChange) {
    }

    /** A gateway node's logger. */
    private static final class Node {
        final Path path;
        final List<Call> batch = new ArrayList<>();
        long batchStarted;

        Node(Path path) {
            this.path = path;
        }
    }

    /** metering-streams' ledger of the one consumer. */
    private static final class Ledger {
        final Set<Long> seen = new HashSet<>();
        long granted;
        long requestPriceNanos = REQUEST_PRICE_NANOS;
        long requests;
        long tokens;
        long eventsCounted;
        Long lastEventTime;
        long version = 1;
        boolean changed;

        void count(Call call, long eventTime, long now) {
            if (!seen.add(call.id)) {
                return;
            }
            requests++;
            tokens += call.realTokens;
            eventsCounted++;
            call.countedAt = now;
            lastEventTime = eventTime;
            changed = true;
        }

        long spent() {
            return Money.charge(requests, requestPriceNanos, 1) + Money.charge(tokens, TOKEN_PRICE_NANOS, TOKENS_PER);
        }

        Balance balance(long now) {
            Map<String, MeterPrice> meters = new HashMap<>();
            meters.put("requests", MeterPrice.newBuilder().setUnitPriceNanos(requestPriceNanos).setPer(1).setIncluded(0).setHardLimit(null).build());
            meters.put("input_tokens", MeterPrice.newBuilder().setUnitPriceNanos(TOKEN_PRICE_NANOS).setPer(TOKENS_PER).setIncluded(0)
                    .setHardLimit(null).build());
            Map<String, Long> usage = new HashMap<>();
            usage.put("requests", requests);
            usage.put("input_tokens", tokens);
            Map<String, Long> amounts = new HashMap<>();
            amounts.put("requests", Money.charge(requests, requestPriceNanos, 1));
            amounts.put("input_tokens", Money.charge(tokens, TOKEN_PRICE_NANOS, TOKENS_PER));
            long spent = spent();
            return Balance.newBuilder().setConsumer(CONSUMER).setPlan("pro").setStatus("active").setBilling("prepaid")
                    .setCurrency("USD").setPeriod("2026-11").setCreditsMicros(granted).setSpentMicros(spent)
                    .setRemainingMicros(granted - spent).setSpendLimitMicros(null).setUsage(usage).setAmounts(amounts)
                    .setMeters(meters).setVersion(version)
                    .setLastEventTime(lastEventTime == null ? null : Instant.ofEpochMilli(lastEventTime))
                    .setUpdatedAt(Instant.ofEpochMilli(now)).setEventsCounted(eventsCounted).build();
        }
    }

    /** One decision instance with its own replica of the balance, fed after {@code replicaDelayMillis}. */
    private static final class Instance {
        final Settlement settlement;
        final long replicaDelayMillis;
        final long[] clock;
        final InMemoryBalances balances;
        final DecisionService service;
        final EventTimeAdmissions byEventTime = new EventTimeAdmissions();
        final ArrayDeque<Object[]> deliveries = new ArrayDeque<>();
        final CurrentPeriods periods = CurrentPeriods.at(START);
        Balance latest;

        Instance(Settlement settlement, long replicaDelayMillis, long[] clock, Balance initial) {
            this.settlement = settlement;
            this.replicaDelayMillis = replicaDelayMillis;
            this.clock = clock;
            this.balances = new InMemoryBalances(() -> clock[0]);
            this.service = new DecisionService(balances, Freshness.ALWAYS_FRESH, new DecisionService.Settings(false, false, 300_000),
                    () -> clock[0]);
            receive(initial);
        }

        void publish(Balance balance, long now) {
            deliveries.addLast(new Object[] {now + replicaDelayMillis, balance});
        }

        void deliverDue(long now) {
            while (!deliveries.isEmpty() && (long) deliveries.peekFirst()[0] <= now) {
                receive((Balance) deliveries.pollFirst()[1]);
            }
        }

        private void receive(Balance balance) {
            latest = balance;
            balances.put(balance);
        }

        boolean decide(Estimate estimate) {
            return switch (settlement) {
                case COUNTED -> service.decide(CONSUMER, estimate).allowed();
                case EVENT_TIME -> byEventTime.decide(latest, estimate, clock[0], periods);
                case NONE -> DecisionRules.decide(latest, estimate, Admitted.NOTHING, periods).allowed();
            };
        }
    }

    static Result run(Scenario s, Settlement settlement) {
        SplittableRandom random = new SplittableRandom(s.seed());
        long[] clock = {START};
        Ledger ledger = new Ledger();
        ledger.granted = s.creditsMicros();
        List<Instance> instances = new ArrayList<>();
        for (int i = 0; i < s.instances(); i++) {
            instances.add(new Instance(settlement, 2 + 3L * i, clock, ledger.balance(START - 1_000)));
        }
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < s.httpNodes() + s.rawNodes(); i++) {
            nodes.add(new Node(i < s.httpNodes() ? Path.HTTP : Path.RAW));
        }
        PriorityQueue<Arrival> arrivals = new PriorityQueue<>((a, b) -> a.at() != b.at() ? Long.compare(a.at(), b.at()) : Long.compare(a.seq(), b.seq()));
        long[] seq = {0};
        List<Call> allowed = new ArrayList<>();
        long routed = 0;
        for (long t = 0; t <= HORIZON_MILLIS || !arrivals.isEmpty() || ledger.changed || anyDelivery(instances); t++) {
            clock[0] = START + t;
            for (Instance instance : instances) {
                instance.deliverDue(t);
            }
            Arrival arrival;
            while ((arrival = arrivals.peek()) != null && arrival.at() <= t) {
                arrivals.poll();
                if (arrival.call() != null) {
                    ledger.count(arrival.call(), START + arrival.call().admittedAt, t);
                } else if (arrival.topUp() != null) {
                    ledger.granted += arrival.topUp().micros();
                    ledger.lastEventTime = START + arrival.topUp().atMillis();
                    ledger.changed = true;
                } else {
                    ledger.requestPriceNanos = arrival.planChange().requestPriceNanos();
                    ledger.lastEventTime = START + arrival.planChange().atMillis();
                    ledger.changed = true;
                }
            }
            if (t % BALANCE_EVERY_MILLIS == 0 && ledger.changed) {
                ledger.version++;
                ledger.changed = false;
                Balance balance = ledger.balance(START + t);
                for (Instance instance : instances) {
                    instance.publish(balance, t);
                }
            }
            for (TopUp topUp : s.topUps()) {
                if (topUp.atMillis() == t) {
                    arrivals.add(new Arrival(t + ACCOUNT_DELAY_MILLIS, seq[0]++, null, topUp, null));
                }
            }
            if (s.planChange() != null && s.planChange().atMillis() == t) {
                arrivals.add(new Arrival(t + ACCOUNT_DELAY_MILLIS, seq[0]++, null, null, s.planChange()));
            }
            if (t < HORIZON_MILLIS) {
                for (Node node : nodes) {
                    for (int c = 0; c < s.callsPerMilliPerNode(); c++) {
                        long declared = s.usage() == Usage.ONE_REQUEST ? 0 : 100 + random.nextLong(1_901);
                        int target = s.routedByConsumer() ? Math.floorMod(CONSUMER.hashCode(), instances.size())
                                : (int) (routed++ % instances.size());
                        Estimate estimate = declared == 0 ? Estimate.NONE : Estimate.parseHeader("input_tokens=" + declared);
                        if (instances.get(target).decide(estimate)) {
                            long real = switch (s.usage()) {
                                case ONE_REQUEST -> 0;
                                case TOKENS -> declared;
                                case TOKENS_HALF_USED -> declared / 2;
                                case TOKENS_TWICE_USED -> declared * 2;
                            };
                            Call call = new Call(allowed.size(), t, target, declared, real);
                            allowed.add(call);
                            if (node.batch.isEmpty()) {
                                node.batchStarted = t;
                            }
                            node.batch.add(call);
                        }
                    }
                }
            }
            for (Node node : nodes) {
                if (!node.batch.isEmpty() && (node.batch.size() >= node.path.batchMax() || t - node.batchStarted >= node.path.batchWaitMillis()
                        || t >= HORIZON_MILLIS)) {
                    long lands = t + node.path.delayMillis() + random.nextLong(node.path.jitterMillis() + 1);
                    boolean retried = random.nextDouble() < node.path.retryShare();
                    for (Call call : node.batch) {
                        arrivals.add(new Arrival(lands, seq[0]++, call, null, null));
                        if (retried) {
                            arrivals.add(new Arrival(lands + 500, seq[0]++, call, null, null));
                        }
                    }
                    node.batch.clear();
                }
            }
        }
        return new Result(s.grantedMicros(), allowed.size(), ledger.spent(), bound(s, instances, allowed));
    }

    private static boolean anyDelivery(List<Instance> instances) {
        return instances.stream().anyMatch(i -> !i.deliveries.isEmpty());
    }

    /**
     * The README's bound: (N − 1) × granted, plus for each instance the cost of the tokens used beyond those declared by
     * the calls it had in flight (admitted, not yet in a balance it had received) at its last admission.
     */
    private static long bound(Scenario s, List<Instance> instances, List<Call> allowed) {
        long bound = (s.routedByConsumer() ? 0 : s.instances() - 1) * s.grantedMicros();
        for (int i = 0; i < instances.size(); i++) {
            int instance = i;
            long last = allowed.stream().filter(c -> c.instance == instance).mapToLong(c -> c.admittedAt).max().orElse(-1);
            long replicaDelay = instances.get(i).replicaDelayMillis;
            long underDeclared = 0;
            for (Call call : allowed) {
                long visibleAt = call.countedAt < 0 ? Long.MAX_VALUE
                        : ceilTo(call.countedAt, BALANCE_EVERY_MILLIS) + replicaDelay;
                if (call.instance == instance && call.admittedAt <= last && visibleAt > last) {
                    underDeclared += Math.max(0, call.realTokens - call.declaredTokens);
                }
            }
            bound += Money.charge(underDeclared, TOKEN_PRICE_NANOS, TOKENS_PER) + 1;
        }
        return bound;
    }

    private static long ceilTo(long value, long step) {
        return (value + step - 1) / step * step;
    }

    /**
     * The same on the wall clock, with real threads: {@code callers} threads call {@link DecisionService#decide} for one
     * consumer as fast as they can for {@code seconds}, while a pipeline thread publishes a balance every
     * {@code balanceEveryMillis} that counts a random half of the events older than {@code pipelineDelayMillis} (so they
     * are counted out of order), with one top-up of {@code topUpMicros} half way. Then the pipeline drains.
     */
    record RealTimeResult(long calls, long allowedCalls, long grantedMicros, long spentMicros, double callsPerSecond) {
        double overshoot() {
            return (spentMicros - grantedMicros) / (double) grantedMicros;
        }
    }

    static RealTimeResult runRealTime(int callers, long pipelineDelayMillis, long balanceEveryMillis, long topUpMicros, long seconds)
            throws InterruptedException {
        Ledger ledger = new Ledger();
        ledger.granted = ONE_DOLLAR;
        InMemoryBalances balances = new InMemoryBalances();
        balances.put(ledger.balance(System.currentTimeMillis() - 1_000));
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH,
                new DecisionService.Settings(false, false, 300_000), System::currentTimeMillis);
        ConcurrentLinkedQueue<Call> events = new ConcurrentLinkedQueue<>();
        AtomicBoolean calling = new AtomicBoolean(true);
        AtomicLong ids = new AtomicLong();
        long start = System.currentTimeMillis();
        long end = start + seconds * 1000;
        Thread pipeline = new Thread(() -> {
            SplittableRandom random = new SplittableRandom(42);
            List<Call> inPipeline = new ArrayList<>();
            boolean toppedUp = false;
            try {
                while (calling.get() || !events.isEmpty() || !inPipeline.isEmpty()) {
                    Thread.sleep(balanceEveryMillis); // paces the simulated pipeline: one balance per interval, as metering-streams publishes them
                    long now = System.currentTimeMillis();
                    Call head;
                    while ((head = events.peek()) != null && (head.admittedAt <= now - pipelineDelayMillis || !calling.get())) {
                        inPipeline.add(events.poll());
                    }
                    Collections.shuffle(inPipeline, new java.util.Random(random.nextLong()));
                    int counting = calling.get() ? inPipeline.size() / 2 : inPipeline.size();
                    for (Call call : inPipeline.subList(0, counting)) {
                        ledger.count(call, call.admittedAt, now);
                    }
                    inPipeline.subList(0, counting).clear();
                    if (!toppedUp && now >= start + seconds * 500) {
                        ledger.granted += topUpMicros;
                        ledger.lastEventTime = now;
                        ledger.changed = true;
                        toppedUp = true;
                    }
                    if (ledger.changed) {
                        ledger.version++;
                        ledger.changed = false;
                        balances.put(ledger.balance(now));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pipeline");
        pipeline.start();
        AtomicLong calls = new AtomicLong();
        AtomicLong allowed = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            Thread caller = new Thread(() -> {
                long made = 0;
                while (System.currentTimeMillis() < end) {
                    made++;
                    if (service.decide(CONSUMER, Estimate.NONE).allowed()) {
                        allowed.incrementAndGet();
                        events.add(new Call(ids.getAndIncrement(), System.currentTimeMillis(), 0, 0, 0));
                    }
                }
                calls.addAndGet(made);
            }, "caller-" + t);
            threads.add(caller);
            caller.start();
        }
        for (Thread caller : threads) {
            caller.join();
        }
        calling.set(false);
        pipeline.join();
        return new RealTimeResult(calls.get(), allowed.get(), ONE_DOLLAR + topUpMicros, ledger.spent(), calls.get() / (double) seconds);
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("realtime")) {
            System.out.println("| caller threads | decisions/s | pipeline delay | balance every | credits granted | allowed | spent | overshoot |");
            System.out.println("|---|---|---|---|---|---|---|---|");
            RealTimeResult r = runRealTime(4, 200, 100, ONE_DOLLAR, 3);
            System.out.printf(Locale.ROOT, "| 4 | %,.0f | 200 ms | 100 ms | %s | %,d | %s | %.1f %% |%n", r.callsPerSecond(),
                    Money.formatMicros(r.grantedMicros()), r.allowedCalls(), Money.formatMicros(r.spentMicros()), 100 * r.overshoot());
            return;
        }
        System.out.println("| scenario | calls/s | instances | estimates | credits granted | allowed | overshoot, " + Settlement.COUNTED.label
                + " | bound | " + Settlement.EVENT_TIME.label + " | " + Settlement.NONE.label + " |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Scenario s : scenarios()) {
            Result counted = run(s, Settlement.COUNTED);
            Result byTime = run(s, Settlement.EVENT_TIME);
            Result none = run(s, Settlement.NONE);
            System.out.printf(Locale.ROOT, "| %s | %,d | %d | %s | %s | %,d | **%s** | %s | %s | %s |%n", s.name(),
                    (s.httpNodes() + s.rawNodes()) * s.callsPerMilliPerNode() * 1000, s.instances(), s.usage().label,
                    Money.formatMicros(counted.grantedMicros()), counted.allowedCalls(), percent(counted.overshoot()),
                    percent(counted.boundMicros() / (double) counted.grantedMicros()), percent(byTime.overshoot()), percent(none.overshoot()));
        }
    }

    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * share);
    }
}
