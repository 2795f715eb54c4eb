package io.tollgate.streams;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.schemas.registry.InMemorySchemaRegistry;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.streams.state.ConsumerLedger;
import io.tollgate.streams.state.HourUsage;
import io.tollgate.streams.state.StateSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The processor without a topology: its stores outlive it, as committed state outlives a crashed task. Marks of
 * changes not yet published when the task stopped are published by the next processor on the same stores.
 */
class MeteringProcessorRestartTest {
    private static final Instant T0 = Instant.parse("2026-11-21T10:00:00Z");
    private final MeteringTopology.Settings settings = new MeteringTopology.Settings(TopicNames.defaults(), Duration.ofHours(24),
            Duration.ofMillis(100));
    private final AvroSerde<UsageEvent> usageSerde = AvroSerde.forValues(UsageEvent.class, new InMemorySchemaRegistry());
    private MockProcessorContext<Object, Object> context;
    /** Index of the first punctuator the latest task scheduled (the context keeps those of stopped tasks too). */
    private int firstPunctuator;

    @BeforeEach
    void stores() {
        Properties props = new Properties();
        props.put("application.id", "restart-test");
        props.put("bootstrap.servers", "unused:9092");
        context = new MockProcessorContext<>(props);
        context.setCurrentSystemTimeMs(T0.toEpochMilli());
        context.setRecordMetadata("usage.events", 0, 0);
        Duration window = settings.dedupWindow();
        List<StateStore> stores = List.of(
                Stores.windowStoreBuilder(Stores.inMemoryWindowStore(MeteringTopology.DEDUP_STORE, window.multipliedBy(2),
                        Duration.ofMillis(1), false), Serdes.String(), Serdes.Long()).withLoggingDisabled().build(),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MeteringTopology.CLOCK_STORE), Serdes.String(), Serdes.Long())
                        .withLoggingDisabled().build(),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MeteringTopology.LEDGER_STORE), Serdes.String(),
                        new StateSerde<>(ConsumerLedger.class)).withLoggingDisabled().build(),
                Stores.windowStoreBuilder(Stores.inMemoryWindowStore(MeteringTopology.HOURLY_STORE, Duration.ofDays(40),
                        Duration.ofHours(1), false), Serdes.String(), new StateSerde<>(HourUsage.class)).withLoggingDisabled().build(),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MeteringTopology.PLANS_STORE), Serdes.String(),
                        new StateSerde<>(PlanDefined.class)).withLoggingDisabled().build(),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MeteringTopology.GRANTS_STORE), Serdes.String(), Serdes.Long())
                        .withLoggingDisabled().build(),
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MeteringTopology.PENDING_STORE), Serdes.String(), Serdes.Long())
                        .withLoggingDisabled().build());
        for (StateStore store : stores) {
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
        }
    }

    private MeteringProcessor startTask() {
        return startTask(settings);
    }

    private MeteringProcessor startTask(MeteringTopology.Settings taskSettings) {
        MeteringProcessor processor = new MeteringProcessor(taskSettings, usageSerde);
        firstPunctuator = context.scheduledPunctuators().size();
        processor.init(context);
        return processor;
    }

    private void definePlanAndConsumer(MeteringProcessor processor) {
        processor.process(new Record<>("pro", new AccountEvent("p", T0, new PlanDefined("pro", "USD", "month",
                new HashMap<>(Map.of("requests", new MeterPrice(2_000_000L, 1L, 1000L, null))))), T0.toEpochMilli()));
        processor.process(new Record<>("acme", new AccountEvent("c", T0,
                new ConsumerUpdated("acme", "pro", "active", "prepaid", null)), T0.toEpochMilli()));
    }

    private List<Object> published() {
        List<Object> values = context.forwarded().stream().<Object>map(f -> f.record().value()).toList();
        context.resetForwards();
        return values;
    }

    private boolean marked(String consumer) {
        KeyValueStore<String, Long> marks = context.getStateStore(MeteringTopology.PENDING_STORE);
        return marks.get(consumer) != null;
    }

    private static Record<String, SpecificRecord> call(String id, Instant time, long requests) {
        UsageEvent event = UsageEvent.newBuilder().setId(id).setSource("gw").setConsumer("acme").setGateway("canonical")
                .setEventTime(time).setIngestTime(time).setMeters(new HashMap<>(Map.of("requests", requests))).build();
        return new Record<>("acme", event, time.toEpochMilli());
    }

    /** Runs every punctuator of the latest task. */
    private void punctuate() {
        punctuate(null);
    }

    /** Runs the punctuators of the latest task scheduled at {@code interval} (all when null). */
    private void punctuate(Duration interval) {
        var punctuators = context.scheduledPunctuators();
        for (var punctuator : punctuators.subList(firstPunctuator, punctuators.size())) {
            if (interval == null || punctuator.getInterval().equals(interval)) {
                punctuator.getPunctuator().punctuate(T0.toEpochMilli());
            }
        }
    }

    @Test
    void changesNotPublishedBeforeAStopArePublishedByTheNextTask() {
        MeteringProcessor first = startTask();
        definePlanAndConsumer(first);
        first.process(call("a", T0.plusSeconds(1), 1200));
        first.process(call("b", T0.plus(Duration.ofHours(1)), 3));
        first.close();
        assertThat(context.forwarded()).isEmpty();

        MeteringProcessor second = startTask();
        punctuate();

        List<Object> published = context.forwarded().stream().<Object>map(f -> f.record().value()).toList();
        assertThat(published).filteredOn(Balance.class::isInstance).singleElement().satisfies(value -> {
            Balance balance = (Balance) value;
            assertThat(balance.getUsage()).containsExactly(Map.entry("requests", 1203L));
            assertThat(balance.getSpentMicros()).isEqualTo(406_000L);
            assertThat(balance.getVersion()).isEqualTo(3L);
        });
        assertThat(published).filteredOn(UsageAggregate.class::isInstance)
                .extracting(v -> ((UsageAggregate) v).getHourStart(), v -> ((UsageAggregate) v).getUnits(),
                        v -> ((UsageAggregate) v).getAmountMicros())
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(T0, 1200L, 400_000L),
                        org.assertj.core.groups.Tuple.tuple(T0.plus(Duration.ofHours(1)), 3L, 6_000L));

        context.resetForwards();
        second.process(call("a", T0.plusSeconds(1), 1200));
        punctuate();
        assertThat(context.forwarded()).as("a duplicate after the restart changes nothing").isEmpty();
    }

    @Test
    void hoursArePublishedAtTheirOwnIntervalAndTheMarkStaysUntilThen() {
        Duration balances = Duration.ofMillis(100);
        Duration hours = Duration.ofSeconds(1);
        MeteringTopology.Settings split = new MeteringTopology.Settings(TopicNames.defaults(), Duration.ofHours(24), balances, hours);
        MeteringProcessor task = startTask(split);
        definePlanAndConsumer(task);
        task.process(call("a", T0.plusSeconds(1), 1200));

        punctuate(balances);
        assertThat(published()).singleElement().isInstanceOfSatisfying(Balance.class,
                balance -> assertThat(balance.getUsage()).containsExactly(Map.entry("requests", 1200L)));
        assertThat(marked("acme")).as("the hour is not published yet").isTrue();

        punctuate(hours);
        assertThat(published()).singleElement().isInstanceOfSatisfying(UsageAggregate.class, hour -> {
            assertThat(hour.getHourStart()).isEqualTo(T0);
            assertThat(hour.getUnits()).isEqualTo(1200L);
            assertThat(hour.getAmountMicros()).isEqualTo(400_000L);
        });
        assertThat(marked("acme")).isFalse();

        task.process(call("b", T0.plusSeconds(2), 5));
        punctuate(balances);
        assertThat(published()).singleElement().isInstanceOf(Balance.class);
        task.close();

        startTask(split);
        punctuate(balances);
        assertThat(published()).as("the balance published before the stop, again").singleElement()
                .isInstanceOfSatisfying(Balance.class, balance -> assertThat(balance.getUsage()).containsExactly(Map.entry("requests", 1205L)));
        assertThat(marked("acme")).isTrue();
        punctuate(hours);
        assertThat(published()).as("the hour changed before the stop, never published until now").singleElement()
                .isInstanceOfSatisfying(UsageAggregate.class, hour -> {
                    assertThat(hour.getUnits()).isEqualTo(1205L);
                    assertThat(hour.getAmountMicros()).isEqualTo(410_000L);
                });
        assertThat(marked("acme")).isFalse();
    }
}
