package io.tollgate.deploy.finance;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.schemas.money.Periods;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./tollgate reconcile} against a real broker: inputs (usage.events with duplicates and late events,
 * billing.accounts) and outputs (usage.hourly, billing.balances) produced here the way the services write them,
 * with charges computed in BigDecimal. Reconcile finds no difference, then names the one hour that was altered.
 * The same on outputs produced by a real metering-streams: {@link ReconcileOnStreamsIT}.
 */
@Tag("integration")
@Timeout(300)
@ExtendWith(TollgateStackExtension.class)
class ReconcileIT {
    record Price(String unitPrice, long per, long included) {
    }

    static final Map<String, Price> PRO = Map.of("requests", new Price("0.002", 1, 1000), "input_tokens", new Price("0.50", 1_000_000, 0),
            "output_tokens", new Price("1.50", 1_000_000, 0));
    static final List<String> CONSUMERS = List.of("acme", "globex", "initech", "umbrella", "hooli", "stark");

    record Call(String source, String id, String consumer, long time, Map<String, Long> meters) {
    }

    @Test
    void findsNoDifferenceInAgreeingTopicsAndNamesAnAlteredHour(KafkaStack stack) {
        String events = stack.unique("usage.events");
        String accounts = stack.unique("billing.accounts");
        String hourly = stack.unique("usage.hourly");
        String balances = stack.unique("billing.balances");
        stack.createTopic(Topics.USAGE_EVENTS.withName(events));
        stack.createTopic(Topics.BILLING_ACCOUNTS.withName(accounts));
        stack.createTopic(Topics.USAGE_HOURLY.withName(hourly));
        stack.createTopic(Topics.BILLING_BALANCES.withName(balances));

        List<Call> calls = callsInTimeOrderWithDuplicates(new Random(7L), 2500);
        long lastTime = calls.get(calls.size() - 1).time();
        List<Call> late = CONSUMERS.stream().map(c -> new Call("gw-0", "late-" + c, c, lastTime - 3 * 86_400_000L, Map.of("requests", 1L))).toList();
        Map<String, Long> granted = Map.of("acme", 50_000_000L, "globex", 12_340_000L);
        List<UsageAggregate> published = rateHourByHour(calls);

        try (Producer producer = new Producer(stack)) {
            PlanDefined plan = PlanDefined.newBuilder().setPlan("pro").setCurrency("USD").setPeriod("month").setMeters(meterPrices()).build();
            for (int partition = 0; partition < Topics.CONSUMER_PARTITIONS; partition++) {
                producer.send(accounts, partition, "pro", account(plan));
            }
            for (String consumer : CONSUMERS) {
                producer.send(accounts, null, consumer, account(ConsumerUpdated.newBuilder().setConsumer(consumer).setPlan("pro")
                        .setStatus("active").setBilling("prepaid").build()));
            }
            granted.forEach((consumer, micros) -> {
                for (int twice = 0; twice < 2; twice++) {
                    producer.send(accounts, null, consumer, account(CreditsGranted.newBuilder().setConsumer(consumer).setAmountMicros(micros)
                            .setIdempotencyKey("topup-" + consumer).build()));
                }
            });
            for (Call call : calls) {
                producer.send(events, null, call.consumer(), usageEvent(call));
            }
            for (Call call : late) {
                producer.send(events, null, call.consumer(), usageEvent(call));
            }
            published.forEach(a -> producer.send(hourly, null, a.getConsumer(), a));
            for (Balance balance : balances(calls, granted)) {
                producer.send(balances, null, balance.getConsumer(), balance);
            }
        }

        String[] args = {"--bootstrap-servers", stack.bootstrapServers(), "--schema-registry-url", stack.schemaRegistryUrl(),
                "--usage-events-topic", events, "--accounts-topic", accounts, "--usage-hourly-topic", hourly, "--balances-topic", balances};
        ByteArrayOutputStream agreeing = new ByteArrayOutputStream();
        assertThat(reconcile(args, agreeing)).as(agreeing.toString(StandardCharsets.UTF_8)).isZero();
        long distinct = calls.stream().map(c -> c.source() + "/" + c.id()).distinct().count();
        assertThat(agreeing.toString(StandardCharsets.UTF_8)).contains(events + ": " + (calls.size() + late.size()) + " events read, "
                + distinct + " counted, " + (calls.size() - distinct) + " duplicates, " + late.size() + " too late, 0 invalid, 0 undecodable")
                .contains("no differences: 6 consumers reconcile");

        UsageAggregate last = published.get(published.size() - 1);
        try (Producer producer = new Producer(stack)) {
            producer.send(hourly, null, last.getConsumer(), UsageAggregate.newBuilder(last).setUnits(last.getUnits() + 1).build());
        }
        ByteArrayOutputStream altered = new ByteArrayOutputStream();
        assertThat(reconcile(args, altered)).isEqualTo(1);
        assertThat(altered.toString(StandardCharsets.UTF_8)).contains("DIFF " + last.getConsumer() + " usage.hourly " + last.getMeter() + " "
                + last.getHourStart() + " units: recomputed " + last.getUnits() + ", published " + (last.getUnits() + 1))
                .contains("1 differences");
    }

    static int reconcile(String[] args, ByteArrayOutputStream out) {
        ReconcileCommand command = new ReconcileCommand();
        command.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        command.err = command.out;
        return new CommandLine(command).execute(args);
    }

    static List<Call> callsInTimeOrderWithDuplicates(Random random, int distinct) {
        long from = Instant.parse("2026-10-30T00:00:00Z").toEpochMilli();
        long to = Instant.parse("2026-11-21T00:00:00Z").toEpochMilli();
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < distinct; i++) {
            Map<String, Long> meters = new TreeMap<>();
            meters.put("requests", 1L);
            if (random.nextBoolean()) {
                meters.put("input_tokens", (long) random.nextInt(120_000));
                meters.put("output_tokens", (long) random.nextInt(9_000));
            }
            calls.add(new Call("gw-" + random.nextInt(2), "req-" + i, CONSUMERS.get(random.nextInt(CONSUMERS.size())),
                    from + (long) (random.nextDouble() * (to - from)), meters));
        }
        calls.sort(Comparator.comparingLong(Call::time));
        List<Call> delivered = new ArrayList<>();
        for (Call call : calls) {
            delivered.add(call);
            if (random.nextInt(100) < 20) {
                delivered.add(call);
            }
        }
        return delivered;
    }

    static BigDecimal charge(long units, Price price) {
        return price == null ? BigDecimal.ZERO : BigDecimal.valueOf(Math.max(0, units - price.included()))
                .multiply(new BigDecimal(price.unitPrice())).divide(BigDecimal.valueOf(price.per()), 6, RoundingMode.HALF_UP);
    }

    static long micros(BigDecimal amount) {
        return amount.movePointRight(6).longValueExact();
    }

    static Map<String, Map<String, Map<String, Long>>> periodUnits(List<Call> calls) {
        Map<String, Map<String, Map<String, Long>>> units = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        for (Call call : calls) {
            if (seen.add(call.source() + "/" + call.id())) {
                call.meters().forEach((meter, n) -> units.computeIfAbsent(call.consumer(), c -> new TreeMap<>())
                        .computeIfAbsent(Periods.periodOf(Periods.MONTH, call.time()), p -> new TreeMap<>()).merge(meter, n, Long::sum));
            }
        }
        return units;
    }

    static List<UsageAggregate> rateHourByHour(List<Call> calls) {
        Set<String> seen = new HashSet<>();
        Map<String, Long> totals = new HashMap<>();
        Map<String, Long> amounts = new HashMap<>();
        Map<String, long[]> hours = new LinkedHashMap<>();
        List<UsageAggregate> out = new ArrayList<>();
        for (Call call : calls) {
            if (!seen.add(call.source() + "/" + call.id())) {
                continue;
            }
            long hour = Periods.hourStart(call.time());
            for (Map.Entry<String, Long> meter : call.meters().entrySet()) {
                String key = call.consumer() + "/" + Periods.periodOf(Periods.MONTH, call.time()) + "/" + meter.getKey();
                long amount = micros(charge(totals.merge(key, meter.getValue(), Long::sum), PRO.get(meter.getKey())));
                long increase = amount - amounts.getOrDefault(key, 0L);
                amounts.put(key, amount);
                long[] h = hours.computeIfAbsent(call.consumer() + "/" + meter.getKey() + "/" + hour, k -> new long[3]);
                h[0] += meter.getValue();
                h[1]++;
                h[2] += increase;
                out.add(UsageAggregate.newBuilder().setConsumer(call.consumer()).setMeter(meter.getKey()).setHourStart(Instant.ofEpochMilli(hour))
                        .setUnits(h[0]).setEvents(h[1]).setAmountMicros(h[2]).setCurrency("USD").setUpdatedAt(Instant.ofEpochMilli(call.time())).build());
            }
        }
        return out;
    }

    static List<Balance> balances(List<Call> calls, Map<String, Long> granted) {
        List<Balance> out = new ArrayList<>();
        periodUnits(calls).forEach((consumer, periods) -> {
            String current = ((TreeMap<String, Map<String, Long>>) periods).lastKey();
            long spent = 0;
            long earlier = 0;
            for (Map.Entry<String, Map<String, Long>> period : periods.entrySet()) {
                long charged = period.getValue().entrySet().stream().mapToLong(m -> micros(charge(m.getValue(), PRO.get(m.getKey())))).sum();
                if (period.getKey().equals(current)) {
                    spent = charged;
                } else {
                    earlier += charged;
                }
            }
            long credits = granted.getOrDefault(consumer, 0L) - earlier;
            out.add(Balance.newBuilder().setConsumer(consumer).setPlan("pro").setStatus("active").setBilling("prepaid").setCurrency("USD")
                    .setPeriod(current).setCreditsMicros(credits).setSpentMicros(spent).setRemainingMicros(credits - spent)
                    .setUsage(new HashMap<>(periods.get(current))).setAmounts(new HashMap<>()).setMeters(meterPrices()).setVersion(1)
                    .setUpdatedAt(Instant.parse("2026-11-21T00:00:00Z")).build());
        });
        return out;
    }

    static Map<String, MeterPrice> meterPrices() {
        Map<String, MeterPrice> meters = new HashMap<>();
        PRO.forEach((meter, price) -> meters.put(meter, MeterPrice.newBuilder()
                .setUnitPriceNanos(new BigDecimal(price.unitPrice()).movePointRight(9).longValueExact())
                .setPer(price.per()).setIncluded(price.included()).setHardLimit(null).build()));
        return meters;
    }

    static AccountEvent account(Object payload) {
        return AccountEvent.newBuilder().setEventId(java.util.UUID.randomUUID().toString()).setTime(Instant.parse("2026-10-01T00:00:00Z"))
                .setPayload(payload).build();
    }

    static UsageEvent usageEvent(Call call) {
        return UsageEvent.newBuilder().setId(call.id()).setSource(call.source()).setConsumer(call.consumer()).setGateway("canonical")
                .setEventTime(Instant.ofEpochMilli(call.time())).setIngestTime(Instant.ofEpochMilli(call.time()))
                .setMeters(new HashMap<>(call.meters())).build();
    }

    /** One producer per value type, all to the stack's registry. */
    static final class Producer implements AutoCloseable {
        private final KafkaStack stack;
        private final Map<Class<?>, KafkaProducer<String, SpecificRecord>> producers = new HashMap<>();

        Producer(KafkaStack stack) {
            this.stack = stack;
        }

        @SuppressWarnings("unchecked")
        void send(String topic, Integer partition, String key, SpecificRecord value) {
            KafkaProducer<String, SpecificRecord> producer = producers.computeIfAbsent(value.getClass(), type -> new KafkaProducer<>(
                    Map.of("bootstrap.servers", stack.bootstrapServers(), "linger.ms", 5, "enable.idempotence", true),
                    new StringSerializer(), (org.apache.kafka.common.serialization.Serializer<SpecificRecord>) (Object)
                    AvroSerde.forValues((Class<SpecificRecord>) type, stack.schemaRegistryUrl()).serializer()));
            producer.send(new ProducerRecord<>(topic, partition, key, value));
        }

        @Override
        public void close() {
            producers.values().forEach(KafkaProducer::close);
        }
    }
}
