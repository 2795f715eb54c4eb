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
        MeteringProcessor processor = new MeteringProcessor(settings, usageSerde);
        processor.init(context);
        return processor;
    }

    private static Record<String, SpecificRecord> call(String id, Instant time, long requests) {
        UsageEvent event = UsageEvent.newBuilder().setId(id).setSource("gw").setConsumer("acme").setGateway("canonical")
                .setEventTime(time).setIngestTime(time).setMeters(new HashMap<>(Map.of("requests", requests))).build();
        return new Record<>("acme", event, time.toEpochMilli());
    }

    private void punctuate() {
        var punctuators = context.scheduledPunctuators();
        punctuators.get(punctuators.size() - 1).getPunctuator().punctuate(T0.toEpochMilli());
    }

    @Test
    void changesNotPublishedBeforeAStopArePublishedByTheNextTask() {
        MeteringProcessor first = startTask();
        first.process(new Record<>("pro", new AccountEvent("p", T0, new PlanDefined("pro", "USD", "month",
                new HashMap<>(Map.of("requests", new MeterPrice(2_000_000L, 1L, 1000L, null))))), T0.toEpochMilli()));
        first.process(new Record<>("acme", new AccountEvent("c", T0,
                new ConsumerUpdated("acme", "pro", "active", "prepaid", null)), T0.toEpochMilli()));
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
}
