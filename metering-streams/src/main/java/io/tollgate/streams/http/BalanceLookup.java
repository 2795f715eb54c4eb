package io.tollgate.streams.http;

import io.tollgate.avro.Balance;
import io.tollgate.avro.PlanDefined;
import io.tollgate.streams.MeteringTopology;
import io.tollgate.streams.ledger.Ledgers;
import io.tollgate.streams.state.ConsumerLedger;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive query of one consumer's balance: answered from this instance's stores when it hosts the
 * consumer's partition, otherwise it names the instance that does (its {@code application.server}).
 */
public final class BalanceLookup {
    public sealed interface Result permits Found, NotFound, Elsewhere, Unavailable {
    }

    public record Found(Balance balance) implements Result {
    }

    public record NotFound() implements Result {
    }

    public record Elsewhere(HostInfo host) implements Result {
    }

    public record Unavailable(String reason) implements Result {
    }

    private final KafkaStreams streams;
    private final HostInfo self;

    public BalanceLookup(KafkaStreams streams, HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    public Result lookup(String consumer) {
        try {
            KeyQueryMetadata metadata = streams.queryMetadataForKey(MeteringTopology.LEDGER_STORE, consumer, Serdes.String().serializer());
            if (metadata == null || KeyQueryMetadata.NOT_AVAILABLE.equals(metadata)) {
                return new Unavailable("the partition of this consumer is not assigned yet (rebalancing)");
            }
            if (!self.equals(metadata.activeHost())) {
                return new Elsewhere(metadata.activeHost());
            }
            ConsumerLedger ledger = this.<ConsumerLedger>store(MeteringTopology.LEDGER_STORE, metadata.partition()).get(consumer);
            if (ledger == null) {
                return new NotFound();
            }
            PlanDefined plan = ledger.getPlan() == null ? null
                    : this.<PlanDefined>store(MeteringTopology.PLANS_STORE, metadata.partition()).get(ledger.getPlan());
            return new Found(Ledgers.toBalance(ledger, plan));
        } catch (InvalidStateStoreException e) {
            return new Unavailable("state store not queryable: " + e.getMessage());
        }
    }

    private <V> ReadOnlyKeyValueStore<String, V> store(String name, int partition) {
        return streams.store(StoreQueryParameters.<ReadOnlyKeyValueStore<String, V>>fromNameAndType(name, QueryableStoreTypes.keyValueStore())
                .withPartition(partition));
    }
}
