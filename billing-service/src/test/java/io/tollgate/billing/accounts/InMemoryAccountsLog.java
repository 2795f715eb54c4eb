package io.tollgate.billing.accounts;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.PlanDefined;

import java.util.ArrayList;
import java.util.List;

/** billing.accounts in memory, with the partitioning rules of {@link KafkaAccountsLog}; can be told to fail. */
final class InMemoryAccountsLog implements AccountsLog {
    record Appended(int partition, long offset, String key, AccountEvent event) {
    }

    private final int partitions;
    private final long[] nextOffsets;
    private final List<Appended> records = new ArrayList<>();
    private volatile boolean failing;

    InMemoryAccountsLog(int partitions) {
        this.partitions = partitions;
        this.nextOffsets = new long[partitions];
    }

    void failWrites(boolean fail) {
        this.failing = fail;
    }

    synchronized List<Appended> records() {
        return List.copyOf(records);
    }

    /** Distinct events, in write order (a plan's copies count once). */
    synchronized List<AccountEvent> events() {
        return records.stream().filter(r -> !(r.event().getPayload() instanceof PlanDefined) || r.partition() == 0)
                .map(Appended::event).toList();
    }

    /** Replays every record into {@code state}, as the replica does at start-up. */
    synchronized void replayInto(AccountsState state) {
        records.forEach(r -> state.apply(r.event(), new AccountsState.Position(r.partition(), r.offset())));
    }

    @Override
    public synchronized AccountsState.Position append(AccountEvent event) throws AccountsLogException {
        if (failing) {
            throw new AccountsLogException("billing.accounts did not acknowledge the write: broker unavailable", null);
        }
        if (event.getPayload() instanceof PlanDefined plan) {
            AccountsState.Position first = null;
            for (int p = 0; p < partitions; p++) {
                AccountsState.Position position = add(p, plan.getPlan(), event);
                first = first == null ? position : first;
            }
            return first;
        }
        String key = event.getPayload() instanceof ConsumerUpdated c ? c.getConsumer() : ((CreditsGranted) event.getPayload()).getConsumer();
        return add(Math.floorMod(key.hashCode(), partitions), key, event);
    }

    private AccountsState.Position add(int partition, String key, AccountEvent event) {
        long offset = nextOffsets[partition]++;
        records.add(new Appended(partition, offset, key, event));
        return new AccountsState.Position(partition, offset);
    }

    @Override
    public void close() {
    }
}
