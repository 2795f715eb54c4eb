package io.tollgate.deploy.finance;

import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.deploy.finance.ReconcileIT.Call;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./tollgate reconcile} reads only committed records: a transaction that writes to all four topics (an event,
 * an hour, a generous balance and a credit grant) and aborts changes nothing in its report. Inputs and outputs agree
 * as in {@link ReconcileIT}, written here in committed transactions as metering-streams writes them.
 */
@Tag("integration")
@Timeout(300)
@ExtendWith(TollgateStackExtension.class)
class ReconcileReadsCommittedIT {
    private static final long A_MILLION_CREDITS = 1_000_000L * 1_000_000L;

    @Test
    void anAbortedTransactionOnEveryTopicLeavesTheReconciliationUnchanged(KafkaStack stack) throws Exception {
        String events = stack.unique("usage.events");
        String accounts = stack.unique("billing.accounts");
        String hourly = stack.unique("usage.hourly");
        String balances = stack.unique("billing.balances");
        stack.createTopic(Topics.USAGE_EVENTS.withName(events));
        stack.createTopic(Topics.BILLING_ACCOUNTS.withName(accounts));
        stack.createTopic(Topics.USAGE_HOURLY.withName(hourly));
        stack.createTopic(Topics.BILLING_BALANCES.withName(balances));

        List<Call> calls = ReconcileIT.callsInTimeOrderWithDuplicates(new Random(11L), 300);
        Map<String, Long> granted = Map.of("acme", 50_000_000L);
        long distinct = calls.stream().map(c -> c.source() + "/" + c.id()).distinct().count();

        try (Transactions writer = new Transactions(stack)) {
            writer.begin();
            PlanDefined plan = PlanDefined.newBuilder().setPlan("pro").setCurrency("USD").setPeriod("month")
                    .setMeters(ReconcileIT.meterPrices()).build();
            for (int partition = 0; partition < Topics.CONSUMER_PARTITIONS; partition++) {
                writer.send(accounts, partition, "pro", ReconcileIT.account(plan));
            }
            for (String consumer : ReconcileIT.CONSUMERS) {
                writer.send(accounts, null, consumer, ReconcileIT.account(ConsumerUpdated.newBuilder().setConsumer(consumer)
                        .setPlan("pro").setStatus("active").setBilling("prepaid").build()));
            }
            granted.forEach((consumer, micros) -> writer.send(accounts, null, consumer, ReconcileIT.account(
                    CreditsGranted.newBuilder().setConsumer(consumer).setAmountMicros(micros).setIdempotencyKey("topup-" + consumer).build())));
            for (Call call : calls) {
                writer.send(events, null, call.consumer(), ReconcileIT.usageEvent(call));
            }
            ReconcileIT.rateHourByHour(calls).forEach(a -> writer.send(hourly, null, a.getConsumer(), a));
            for (Balance balance : ReconcileIT.balances(calls, granted)) {
                writer.send(balances, null, balance.getConsumer(), balance);
            }
            writer.commit();
        }
        String[] args = {"--bootstrap-servers", stack.bootstrapServers(), "--schema-registry-url", stack.schemaRegistryUrl(),
                "--usage-events-topic", events, "--accounts-topic", accounts, "--usage-hourly-topic", hourly, "--balances-topic", balances};
        String expectedCounts = events + ": " + calls.size() + " events read, " + distinct + " counted, " + (calls.size() - distinct)
                + " duplicates, 0 too late, 0 invalid, 0 undecodable";
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        assertThat(ReconcileIT.reconcile(args, before)).as(before.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(before.toString(StandardCharsets.UTF_8)).contains(expectedCounts).contains("no differences: 6 consumers reconcile");

        try (Transactions zombie = new Transactions(stack)) {
            zombie.begin();
            Call extra = new Call("gw-9", "aborted-1", "acme", calls.get(calls.size() - 1).time(), Map.of("requests", 1_000_000L));
            zombie.send(events, null, "acme", ReconcileIT.usageEvent(extra));
            zombie.send(events, null, "intruder", ReconcileIT.usageEvent(new Call("gw-9", "aborted-2", "intruder", extra.time(),
                    Map.of("requests", 1L))));
            UsageAggregate last = ReconcileIT.rateHourByHour(calls).get(ReconcileIT.rateHourByHour(calls).size() - 1);
            zombie.send(hourly, null, last.getConsumer(), UsageAggregate.newBuilder(last).setUnits(last.getUnits() + 1_000_000).build());
            Balance acme = ReconcileIT.balances(calls, granted).stream().filter(b -> b.getConsumer().equals("acme")).findFirst().orElseThrow();
            zombie.send(balances, null, "acme", Balance.newBuilder(acme).setCreditsMicros(A_MILLION_CREDITS)
                    .setRemainingMicros(A_MILLION_CREDITS).setVersion(2).build());
            zombie.send(accounts, null, "acme", ReconcileIT.account(CreditsGranted.newBuilder().setConsumer("acme")
                    .setAmountMicros(A_MILLION_CREDITS).setIdempotencyKey("aborted-grant").build()));
            zombie.flushAndAbort();
        }

        ByteArrayOutputStream after = new ByteArrayOutputStream();
        assertThat(ReconcileIT.reconcile(args, after)).as(after.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(after.toString(StandardCharsets.UTF_8)).isEqualTo(before.toString(StandardCharsets.UTF_8));
    }

    /** One transactional producer writing Avro values of any type through the stack's registry. */
    private static final class Transactions implements AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final Map<Class<?>, AvroSerde<SpecificRecord>> serdes = new HashMap<>();
        private final String registry;

        Transactions(KafkaStack stack) {
            registry = stack.schemaRegistryUrl();
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG, "reconcile-committed-it-" + UUID.randomUUID()),
                    new StringSerializer(), new ByteArraySerializer());
            producer.initTransactions();
        }

        void begin() {
            producer.beginTransaction();
        }

        @SuppressWarnings("unchecked")
        void send(String topic, Integer partition, String key, SpecificRecord value) {
            AvroSerde<SpecificRecord> serde = serdes.computeIfAbsent(value.getClass(),
                    type -> (AvroSerde<SpecificRecord>) (Object) AvroSerde.forValues((Class<SpecificRecord>) type, registry));
            producer.send(new ProducerRecord<>(topic, partition, key, serde.serialize(topic, value)));
        }

        void commit() {
            producer.commitTransaction();
        }

        /** The records reach the log (a reader not reading committed would see them), then the transaction aborts. */
        void flushAndAbort() {
            producer.flush();
            producer.abortTransaction();
        }

        @Override
        public void close() {
            producer.close();
        }
    }
}
