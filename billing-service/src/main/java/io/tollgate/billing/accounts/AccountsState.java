package io.tollgate.billing.accounts;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.PlanDefined;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * This service's replica of {@code billing.accounts}: the plans, the consumers and the credit grants seen
 * so far. Applying an event is idempotent and safe in any interleaving of partitions, because the same
 * record may arrive twice: once applied right after its write was acknowledged, once read back from the topic.
 * A plan is taken from its copy in partition 0 only (every partition holds one copy); a consumer's records all
 * live in one partition, so a record older than the one applied is ignored.
 */
public final class AccountsState {
    /** Where a record landed. */
    public record Position(int partition, long offset) {
    }

    public record StoredPlan(PlanDefined plan, Instant definedAt, Position position) {
    }

    public record StoredConsumer(ConsumerUpdated consumer, Instant updatedAt, Position position) {
    }

    public record StoredCredit(CreditsGranted grant, Instant grantedAt) {
    }

    private final ConcurrentMap<String, StoredPlan> plans = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, StoredConsumer> consumers = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ConcurrentMap<String, StoredCredit>> credits = new ConcurrentHashMap<>();

    public void apply(AccountEvent event, Position position) {
        Object payload = event.getPayload();
        if (payload instanceof PlanDefined plan) {
            if (position.partition() == 0) {
                plans.merge(plan.getPlan(), new StoredPlan(plan, event.getTime(), position),
                        (old, now) -> isNewer(now.position(), old.position()) ? now : old);
            }
        } else if (payload instanceof ConsumerUpdated consumer) {
            consumers.merge(consumer.getConsumer(), new StoredConsumer(consumer, event.getTime(), position),
                    (old, now) -> isNewer(now.position(), old.position()) ? now : old);
        } else if (payload instanceof CreditsGranted grant) {
            credits.computeIfAbsent(grant.getConsumer(), c -> new ConcurrentHashMap<>())
                    .putIfAbsent(grant.getIdempotencyKey(), new StoredCredit(grant, event.getTime()));
        }
    }

    /** A record from another partition (the topic was repartitioned) counts as newer: it was read later. */
    private static boolean isNewer(Position candidate, Position current) {
        return candidate.partition() != current.partition() || candidate.offset() > current.offset();
    }

    public Optional<StoredPlan> plan(String id) {
        return Optional.ofNullable(plans.get(id));
    }

    public Optional<StoredConsumer> consumer(String id) {
        return Optional.ofNullable(consumers.get(id));
    }

    public Optional<StoredCredit> credit(String consumer, String idempotencyKey) {
        return Optional.ofNullable(credits.getOrDefault(consumer, new ConcurrentHashMap<>()).get(idempotencyKey));
    }

    /** Every credit granted to {@code consumer}, in micro-units, each idempotency key once. */
    public long grantedMicros(String consumer) {
        return credits.getOrDefault(consumer, new ConcurrentHashMap<>()).values().stream()
                .mapToLong(c -> c.grant().getAmountMicros()).sum();
    }

    public Map<String, StoredPlan> plans() {
        return Map.copyOf(plans);
    }

    public Map<String, StoredConsumer> consumers() {
        return Map.copyOf(consumers);
    }
}
