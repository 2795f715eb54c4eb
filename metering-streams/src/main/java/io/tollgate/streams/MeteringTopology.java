package io.tollgate.streams;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.schemas.registry.SchemaRegistry;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.streams.state.ConsumerLedger;
import io.tollgate.streams.state.HourUsage;
import io.tollgate.streams.state.StateSerde;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;

/**
 * Builds the metering topology: {@code usage.events} and {@code billing.accounts} (co-partitioned, keyed by
 * consumer) feed one processor that deduplicates, rates and keeps balances; it writes {@code billing.balances},
 * {@code usage.hourly} and, for events too late to deduplicate, {@code usage.events.dlq}. No repartition.
 * Every node and store has a fixed name: renaming one orphans its changelog, and {@code topology.txt} locks them.
 */
public final class MeteringTopology {
    public static final String USAGE_SOURCE = "usage-events-source";
    public static final String ACCOUNTS_SOURCE = "billing-accounts-source";
    public static final String METERING = "metering";
    public static final String BALANCES_SINK = "balances-sink";
    public static final String HOURLY_SINK = "usage-hourly-sink";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";

    public static final String DEDUP_STORE = "usage-dedup";
    public static final String CLOCK_STORE = "usage-clock";
    public static final String LEDGER_STORE = "consumer-ledgers";
    public static final String HOURLY_STORE = "hourly-usage";
    public static final String PLANS_STORE = "plans";
    public static final String GRANTS_STORE = "credit-grants";
    public static final String PENDING_STORE = "pending-outputs";

    /** Hourly totals are kept long enough to re-rate a whole month still open to late events. */
    static final Duration LONGEST_PERIOD = Duration.ofDays(32);

    /**
     * @param flushInterval       changed balances are published every this much wall-clock time
     * @param hourlyFlushInterval changed hourly totals are published every this much wall-clock time
     */
    public record Settings(TopicNames topics, Duration dedupWindow, Duration flushInterval, Duration hourlyFlushInterval) {
        /** Balances and hours published at the same interval. */
        public Settings(TopicNames topics, Duration dedupWindow, Duration flushInterval) {
            this(topics, dedupWindow, flushInterval, flushInterval);
        }
    }

    private MeteringTopology() {
    }

    public static Topology build(Settings settings, SchemaRegistry registry) {
        TopicNames topics = settings.topics();
        AvroSerde<UsageEvent> usageSerde = AvroSerde.forValues(UsageEvent.class, registry);
        AvroSerde<AccountEvent> accountSerde = AvroSerde.forValues(AccountEvent.class, registry);
        AvroSerde<Balance> balanceSerde = AvroSerde.forValues(Balance.class, registry);
        AvroSerde<UsageAggregate> hourlySerde = AvroSerde.forValues(UsageAggregate.class, registry);
        AvroSerde<DeadLetter> deadLetterSerde = AvroSerde.forValues(DeadLetter.class, registry);
        Duration window = settings.dedupWindow();

        Topology topology = new Topology();
        topology.addSource(USAGE_SOURCE, new StringDeserializer(), usageSerde.deserializer(), topics.usageEvents());
        topology.addSource(ACCOUNTS_SOURCE, new StringDeserializer(), accountSerde.deserializer(), topics.billingAccounts());
        topology.addProcessor(METERING, () -> new MeteringProcessor(settings, usageSerde), USAGE_SOURCE, ACCOUNTS_SOURCE);
        topology.addSink(BALANCES_SINK, topics.balances(), new StringSerializer(), balanceSerde.serializer(), METERING);
        topology.addSink(HOURLY_SINK, topics.usageHourly(), new StringSerializer(), hourlySerde.serializer(), METERING);
        topology.addSink(DEAD_LETTER_SINK, topics.deadLetters(), new ByteArraySerializer(), deadLetterSerde.serializer(), METERING);

        topology.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(DEDUP_STORE, window.multipliedBy(2), Duration.ofMillis(1), false),
                Serdes.String(), Serdes.Long()), METERING);
        topology.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(CLOCK_STORE), Serdes.String(), Serdes.Long()).withCachingEnabled(), METERING);
        topology.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(LEDGER_STORE), Serdes.String(), new StateSerde<>(ConsumerLedger.class))
                .withCachingEnabled(), METERING);
        topology.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(HOURLY_STORE, LONGEST_PERIOD.plus(window.multipliedBy(2)), Duration.ofHours(1), false),
                Serdes.String(), new StateSerde<>(HourUsage.class)).withCachingEnabled(), METERING);
        topology.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PLANS_STORE), Serdes.String(), new StateSerde<>(PlanDefined.class))
                .withCachingEnabled(), METERING);
        topology.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(GRANTS_STORE), Serdes.String(), Serdes.Long()).withCachingEnabled(), METERING);
        topology.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(PENDING_STORE), Serdes.String(), Serdes.Long()).withCachingEnabled(), METERING);
        return topology;
    }
}
