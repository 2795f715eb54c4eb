package io.tollgate.deploy.finance;

import io.tollgate.avro.Balance;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.deploy.pipeline.BillingAdmin;
import io.tollgate.deploy.pipeline.PlanMeter;
import io.tollgate.deploy.pipeline.StreamsPipeline;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.schemas.serde.AvroSerde;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ./tollgate reconcile} on real metering-streams output: plans (monthly and daily), consumers and credit grants
 * through billing-service's admin API; a few hundred usage events on usage.events with duplicates delivered hours later
 * and events older than the dedup window; usage.hourly and billing.balances written by a real metering-streams. The
 * recomputation from the inputs agrees with them: exit 0, no {@code DIFF}, the events counted as computed here. Then a
 * test producer writes one committed {@code Balance} with one request too many, and {@code reconcile} names exactly that
 * difference and exits 1. ({@code ReconcileIT} checks the same against outputs written by the test.)
 */
@Tag("integration")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class ReconcileOnStreamsIT {
    private static final Logger log = LoggerFactory.getLogger(ReconcileOnStreamsIT.class);

    static final Map<String, PlanMeter> PRO = Map.of("requests", new PlanMeter("0.002", 1, 20), "input_tokens", new PlanMeter("0.50", 1_000_000, 0),
            "output_tokens", new PlanMeter("1.50", 1_000_000, 0));
    static final Map<String, PlanMeter> DAILY = Map.of("requests", new PlanMeter("0.001", 1, 5), "input_tokens", new PlanMeter("0.25", 1_000_000, 0));
    static final Map<String, String> PLAN_OF = planOf();
    static final int DISTINCT_CALLS = 300;

    private static Map<String, String> planOf() {
        Map<String, String> plans = new LinkedHashMap<>();
        plans.put("acme", "pro");
        plans.put("globex", "pro");
        plans.put("initech", "daily");
        plans.put("umbrella", "pro");
        plans.put("hooli", "daily");
        plans.put("stark", "pro");
        return plans;
    }

    record Call(String source, String id, String consumer, long time, Map<String, Long> meters) {
    }

    @Test
    void reconcileAgreesWithWhatMeteringStreamsPublishedAndNamesABalanceAlteredAfterwards(KafkaStack stack) throws Exception {
        Instant now = Instant.now();
        Random random = new Random(20261205L);
        List<Call> delivered = deliveries(random, now.minus(50, ChronoUnit.HOURS), now.minus(1, ChronoUnit.HOURS));
        List<Call> tooLate = List.of(new Call("gw-0", "late-acme", "acme", now.minus(4, ChronoUnit.DAYS).toEpochMilli(), Map.of("requests", 1L)),
                new Call("gw-1", "late-hooli", "hooli", now.minus(3, ChronoUnit.DAYS).toEpochMilli(), Map.of("requests", 7L)));
        List<Call> all = new ArrayList<>(delivered);
        all.addAll(tooLate);
        long duplicates = delivered.size() - DISTINCT_CALLS;

        try (StreamsPipeline pipeline = StreamsPipeline.start(stack, "reconcile")) {
            BillingAdmin admin = pipeline.admin();
            admin.putPlan("pro", "month", PRO);
            admin.putPlan("daily", "day", DAILY);
            PLAN_OF.forEach((consumer, plan) -> admin.putPrepaidConsumer(consumer, plan));
            admin.grantCredits("acme", "5.00", "welcome-acme");
            admin.grantCredits("acme", "5.00", "welcome-acme");
            admin.grantCredits("acme", "0.75", "top-up-acme");
            admin.grantCredits("hooli", "1.50", "welcome-hooli");
            await("a balance for every consumer").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> PLAN_OF.keySet().stream().allMatch(c -> admin.balance(c).isPresent()));

            pipeline.send(all.stream().map(ReconcileOnStreamsIT::usageEvent).toList());
            pipeline.awaitStreamsCaughtUp(Duration.ofMinutes(2));

            String[] args = {"--bootstrap-servers", stack.bootstrapServers(), "--schema-registry-url", stack.schemaRegistryUrl(),
                    "--usage-events-topic", pipeline.topics().usageEvents(), "--accounts-topic", pipeline.topics().accounts(),
                    "--usage-hourly-topic", pipeline.topics().hourly(), "--balances-topic", pipeline.topics().balances()};
            String counts = pipeline.topics().usageEvents() + ": " + all.size() + " events read, " + DISTINCT_CALLS + " counted, "
                    + duplicates + " duplicates, " + tooLate.size() + " too late, 0 invalid, 0 undecodable";
            // Hourly totals are published every second after they change: reconcile once they are all out.
            String agreeing = await("reconcile finds no difference").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> run(args), report -> report.exit() == 0).output();
            assertThat(agreeing).contains(counts).contains("no differences: " + PLAN_OF.size() + " consumers reconcile").doesNotContain("DIFF");
            log.info("reconcile on metering-streams' output:\n{}", agreeing);

            Map<String, Object> kafka = Map.of("bootstrap.servers", stack.bootstrapServers());
            List<DeadLetter> deadLetters = TopicSnapshot.read(kafka, stack.schemaRegistryUrl(), pipeline.topics().dlq(), DeadLetter.class,
                    Duration.ofMinutes(1)).values();
            assertThat(deadLetters).extracting(DeadLetter::getStage).containsExactly("streams-too-late", "streams-too-late");

            Balance published = latestBalance(stack, pipeline, "globex");
            Map<String, Long> globexUnits = periodUnits(delivered, "globex", published.getPeriod());
            assertThat(new TreeMap<>(published.getUsage())).as("globex's balance counts its distinct calls of " + published.getPeriod())
                    .isEqualTo(globexUnits);
            Map<String, Long> wrongUsage = new TreeMap<>(published.getUsage());
            wrongUsage.merge("requests", 1L, Long::sum);
            try (KafkaProducer<String, Balance> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), AvroSerde.forValues(Balance.class, stack.schemaRegistryUrl()).serializer())) {
                producer.send(new ProducerRecord<>(pipeline.topics().balances(), "globex", Balance.newBuilder(published)
                        .setUsage(new HashMap<>(wrongUsage)).setVersion(published.getVersion() + 1).setUpdatedAt(Instant.now()).build())).get();
            }
            Report altered = run(args);
            assertThat(altered.exit()).as(altered.output()).isEqualTo(1);
            assertThat(altered.output()).contains(counts)
                    .contains("DIFF globex billing.balances " + published.getPeriod() + " usage: recomputed " + globexUnits + ", published " + wrongUsage)
                    .contains("1 differences");
            assertThat(altered.output().lines().filter(line -> line.startsWith("DIFF"))).hasSize(1);
            pipeline.requireAlive();
            pipeline.passed();
        }
    }

    record Report(int exit, String output) {
    }

    static Report run(String[] args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = ReconcileIT.reconcile(args, out);
        return new Report(exit, out.toString(StandardCharsets.UTF_8));
    }

    /**
     * {@value #DISTINCT_CALLS} calls at random times in [from, to), delivered in time order, 20 % a second time 1 to 6
     * hours later (within the dedup window).
     */
    static List<Call> deliveries(Random random, Instant from, Instant to) {
        List<String> consumers = List.copyOf(PLAN_OF.keySet());
        record Delivery(long at, int order, Call call) {
        }
        List<Delivery> deliveries = new ArrayList<>();
        long span = to.toEpochMilli() - from.toEpochMilli();
        long hour = Duration.ofHours(1).toMillis();
        for (int i = 0; i < DISTINCT_CALLS; i++) {
            Map<String, Long> meters = new TreeMap<>();
            meters.put("requests", 1L);
            if (random.nextBoolean()) {
                meters.put("input_tokens", 1L + random.nextInt(120_000));
                meters.put("output_tokens", 1L + random.nextInt(9_000));
            }
            long time = from.toEpochMilli() + (long) (random.nextDouble() * span);
            Call call = new Call("gw-" + random.nextInt(2), "call-" + i, consumers.get(random.nextInt(consumers.size())), time, meters);
            deliveries.add(new Delivery(time, i, call));
            if (random.nextInt(100) < 20) {
                deliveries.add(new Delivery(time + hour + (long) (random.nextDouble() * 5 * hour), DISTINCT_CALLS + i, call));
            }
        }
        deliveries.sort(Comparator.comparingLong(Delivery::at).thenComparingInt(Delivery::order));
        return deliveries.stream().map(Delivery::call).toList();
    }

    /** Units per meter of the consumer's distinct calls in a monthly period ({@code 2026-12}). */
    static Map<String, Long> periodUnits(List<Call> calls, String consumer, String period) {
        Map<String, Long> units = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        for (Call call : calls) {
            if (call.consumer().equals(consumer) && seen.add(call.source() + "/" + call.id())
                    && YearMonth.from(Instant.ofEpochMilli(call.time()).atZone(ZoneOffset.UTC)).toString().equals(period)) {
                call.meters().forEach((meter, n) -> units.merge(meter, n, Long::sum));
            }
        }
        return units;
    }

    static Balance latestBalance(KafkaStack stack, StreamsPipeline pipeline, String consumer) {
        List<Balance> balances = TopicSnapshot.read(Map.of("bootstrap.servers", stack.bootstrapServers()), stack.schemaRegistryUrl(),
                pipeline.topics().balances(), Balance.class, Duration.ofMinutes(1)).values().stream()
                .filter(b -> b.getConsumer().equals(consumer)).toList();
        assertThat(balances).as("balances of %s", consumer).isNotEmpty();
        return balances.get(balances.size() - 1);
    }

    static UsageEvent usageEvent(Call call) {
        return UsageEvent.newBuilder().setId(call.id()).setSource(call.source()).setConsumer(call.consumer()).setGateway("canonical")
                .setEventTime(Instant.ofEpochMilli(call.time())).setIngestTime(Instant.ofEpochMilli(call.time()))
                .setMeters(new HashMap<>(call.meters())).build();
    }
}
