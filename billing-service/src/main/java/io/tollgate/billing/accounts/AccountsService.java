package io.tollgate.billing.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.PlanDefined;

import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The accounts writes: validate against the replica, append to billing.accounts, apply the acknowledged
 * record to the replica, answer. Writes run one at a time on one thread, so that two concurrent grants with
 * the same idempotency key cannot both pass the "seen before?" check; reads never wait for writes.
 * Until the replica has read billing.accounts to its end, writes are refused ({@link NotReady}): an
 * idempotency key seen before the restart would otherwise not be recognised.
 */
public final class AccountsService implements AutoCloseable {
    /** The stored resource, and whether this call created it. */
    public record Written<T>(T stored, boolean created) {
    }

    public static final class UnknownResource extends Exception {
        public UnknownResource(String message) {
            super(message);
        }
    }

    public static final class IdempotencyConflict extends Exception {
        public IdempotencyConflict(String message) {
            super(message);
        }
    }

    public static final class NotReady extends Exception {
        public NotReady(String message) {
            super(message);
        }
    }

    private final AccountsState state;
    private final AccountsLog log;
    private final Clock clock;
    private final BooleanSupplier replicaCaughtUp;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "accounts-writer");
        thread.setDaemon(true);
        return thread;
    });

    public AccountsService(AccountsState state, AccountsLog log, Clock clock, BooleanSupplier replicaCaughtUp) {
        this.state = state;
        this.log = log;
        this.clock = clock;
        this.replicaCaughtUp = replicaCaughtUp;
    }

    public AccountsState state() {
        return state;
    }

    public CompletableFuture<Written<AccountsState.StoredPlan>> putPlan(String id, JsonNode body) {
        return onWriter(() -> {
            PlanDefined plan = AccountRequests.plan(id, body);
            Optional<AccountsState.StoredPlan> existing = state.plan(id);
            if (existing.isPresent() && existing.get().plan().equals(plan)) {
                return new Written<>(existing.get(), false);
            }
            append(plan);
            return new Written<>(state.plan(id).orElseThrow(), existing.isEmpty());
        });
    }

    public CompletableFuture<Written<AccountsState.StoredConsumer>> putConsumer(String id, JsonNode body) {
        return onWriter(() -> {
            ConsumerUpdated consumer = AccountRequests.consumer(id, body);
            if (state.plan(consumer.getPlan()).isEmpty()) {
                throw InvalidRequest.of("plan", "no plan named " + consumer.getPlan() + "; define it first with PUT /v1/plans/" + consumer.getPlan());
            }
            Optional<AccountsState.StoredConsumer> existing = state.consumer(id);
            if (existing.isPresent() && existing.get().consumer().equals(consumer)) {
                return new Written<>(existing.get(), false);
            }
            append(consumer);
            return new Written<>(state.consumer(id).orElseThrow(), existing.isEmpty());
        });
    }

    /** A grant whose key was seen before answers with the first grant and writes nothing; with another amount it conflicts. */
    public CompletableFuture<Written<AccountsState.StoredCredit>> grantCredits(String consumer, JsonNode body) {
        return onWriter(() -> {
            CreditsGranted grant = AccountRequests.credits(consumer, body);
            if (state.consumer(consumer).isEmpty()) {
                throw new UnknownResource("no consumer named " + consumer);
            }
            Optional<AccountsState.StoredCredit> seen = state.credit(consumer, grant.getIdempotencyKey());
            if (seen.isPresent()) {
                if (seen.get().grant().getAmountMicros() != grant.getAmountMicros()) {
                    throw new IdempotencyConflict("idempotency key " + grant.getIdempotencyKey()
                            + " was already used for a grant of another amount");
                }
                return new Written<>(seen.get(), false);
            }
            append(grant);
            return new Written<>(state.credit(consumer, grant.getIdempotencyKey()).orElseThrow(), true);
        });
    }

    private void append(Object payload) throws AccountsLog.AccountsLogException {
        AccountEvent event = AccountEvent.newBuilder().setEventId(UUID.randomUUID().toString())
                .setTime(clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)).setPayload(payload).build();
        AccountsState.Position position = log.append(event);
        state.apply(event, position);
    }

    private <T> CompletableFuture<T> onWriter(Callable<T> write) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            writer.execute(() -> {
                try {
                    if (!replicaCaughtUp.getAsBoolean()) {
                        throw new NotReady("billing.accounts is still being read; retry shortly");
                    }
                    result.complete(write.call());
                } catch (Exception e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(new NotReady("accounts service is shutting down"));
        }
        return result;
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
