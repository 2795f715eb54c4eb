package io.tollgate.billing.decision;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tollgate.avro.Balance;
import io.tollgate.runtime.OpsRoutes.Readiness;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.TopicReaders;
import io.tollgate.schemas.topics.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The local replica of {@code billing.balances}: one consumer without a group that is assigned every partition,
 * reads from the beginning and polls forever into a map, so that decisions never leave the process. A tombstone
 * removes the consumer. Ready once it has read up to the end offsets it saw at start-up.
 *
 * <p>Freshness: every 250 ms the replica asks for the end offsets (time T) and, once its positions reach them, knows
 * it holds every balance written before T. It is stale when that T is older than {@code staleAfterMillis} (the broker
 * is unreachable, or the replica cannot keep up) or when it lags those end offsets by more than {@code staleMaxLag}
 * records; both figures are metrics.
 *
 * <p>It reads {@code read_committed} ({@link TopicReaders}): a balance of an aborted or zombie transaction is never
 * seen, and the end offsets it compares with are the last stable offsets. When reading fails (the broker cannot be
 * reached, a bug), the reader starts again after {@code retry} from the offsets it had reached, never from the
 * beginning, so no consumer's balance goes back to an older one; {@link #readiness()} says so meanwhile. A thread that
 * dies of an {@link Error} is not restarted: readiness then reports it for good.
 */
public final class BalanceReplica implements BalanceReader, Freshness, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BalanceReplica.class);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration END_OFFSETS_TIMEOUT = Duration.ofSeconds(2);
    private static final long END_CHECK_INTERVAL_MS = 250;
    private static final Duration RETRY = Duration.ofSeconds(2);

    /** Creates the topic when it is missing; runs before each (re)start of the reader. */
    @FunctionalInterface
    interface TopicSetup {
        void ensure() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private final TopicSpec topic;
    private final Supplier<Consumer<String, byte[]>> consumers;
    private final TopicSetup setup;
    private final AvroSerde<Balance> serde;
    private final Duration retry;
    private final long staleAfterMillis;
    private final long staleMaxLag;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, BalanceView> balances = new ConcurrentHashMap<>();
    private final Counter undecodable;
    private final Counter restarts;
    private final Thread thread;
    private volatile Consumer<String, byte[]> consumer;
    private volatile boolean running = true;
    private volatile String failure;
    private volatile Throwable died;
    private final Map<TopicPartition, Long> positions = new HashMap<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean caughtUpOnce;
    private volatile long lagRecords = -1;
    private volatile long lastCaughtUpMillis = -1;
    private volatile long startupEndTotal = -1;
    private volatile long startupReadTotal;
    private Map<TopicPartition, Long> target;
    private long targetAtMillis;

    public BalanceReplica(TopicSpec topic, Map<String, Object> kafkaProperties, String registryUrl,
                          long staleAfterMillis, long staleMaxLag, MeterRegistry metrics, LongSupplier clock) {
        this(topic, () -> TopicReaders.consumer(consumerProperties(kafkaProperties), new StringDeserializer(), new ByteArrayDeserializer()),
                () -> ensureTopic(topic, kafkaProperties), AvroSerde.forValues(Balance.class, registryUrl), RETRY,
                staleAfterMillis, staleMaxLag, metrics, clock);
    }

    BalanceReplica(TopicSpec topic, Supplier<Consumer<String, byte[]>> consumers, TopicSetup setup, AvroSerde<Balance> serde,
                   Duration retry, long staleAfterMillis, long staleMaxLag, MeterRegistry metrics, LongSupplier clock) {
        this.topic = topic;
        this.consumers = consumers;
        this.setup = setup;
        this.serde = serde;
        this.retry = retry;
        this.staleAfterMillis = staleAfterMillis;
        this.staleMaxLag = staleMaxLag;
        this.clock = clock;
        this.undecodable = Counter.builder("tollgate.decision.replica.undecodable")
                .description("Balance records that could not be decoded and were skipped").register(metrics);
        this.restarts = Counter.builder("tollgate.decision.replica.restarts")
                .description("Times the balance replica's reader was started again after a failure").register(metrics);
        Gauge.builder("tollgate.decision.replica.lag.records", this, r -> r.lagRecords)
                .description("Records of billing.balances not yet read by the replica (-1 before the first check)").register(metrics);
        Gauge.builder("tollgate.decision.replica.staleness.seconds", this, r -> r.stalenessMillis(r.clock.getAsLong()) / 1000.0)
                .description("Seconds since the replica last reached the end of billing.balances").register(metrics);
        Gauge.builder("tollgate.decision.replica.consumers", balances, Map::size)
                .description("Consumers with a balance in the replica").register(metrics);
        this.thread = new Thread(this::run, "balance-replica");
        this.thread.setDaemon(true);
    }

    public BalanceReplica start() {
        thread.start();
        return this;
    }

    @Override
    public Optional<BalanceView> get(String consumer) {
        return Optional.ofNullable(balances.get(consumer));
    }

    public int size() {
        return balances.size();
    }

    @Override
    public boolean isStale(long nowMillis) {
        long lag = lagRecords;
        return stalenessMillis(nowMillis) > staleAfterMillis || lag < 0 || lag > staleMaxLag;
    }

    /** Milliseconds since the last poll that reached the end; {@code Long.MAX_VALUE} before the first one. */
    public long stalenessMillis(long nowMillis) {
        long last = lastCaughtUpMillis;
        return last < 0 ? Long.MAX_VALUE : Math.max(0, nowMillis - last);
    }

    public long lagRecords() {
        return lagRecords;
    }

    /**
     * Ready once the replica has read up to the end offsets it saw at start-up, while its reader runs. Not ready, with
     * the reason, while the reader waits to start again after a failure, and for good once its thread has died.
     */
    public Readiness readiness() {
        Throwable error = died;
        if (error != null) {
            return Readiness.notReady("the replica of " + topic.name() + " stopped: " + error);
        }
        String failed = failure;
        if (failed != null) {
            return Readiness.notReady("the replica of " + topic.name() + " is restarting after a failure: " + failed);
        }
        if (caughtUpOnce) {
            return Readiness.yes();
        }
        long end = startupEndTotal;
        return Readiness.notReady(end < 0
                ? "connecting to Kafka to replicate " + topic.name()
                : "replicating " + topic.name() + ": " + startupReadTotal + " of " + end + " records");
    }

    private void run() {
        try {
            superviseReader();
        } catch (RuntimeException | Error e) {
            died = e;
            log.error("balance replica thread died; decisions keep the last known balances and /readyz reports it", e);
        }
    }

    private void superviseReader() {
        while (running) {
            try {
                replicate();
            } catch (WakeupException e) {
                if (running) {
                    failed(e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | ExecutionException | TimeoutException e) {
                failed(e);
            } finally {
                consumer = null;
            }
            try {
                if (closed.await(retry.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            restarts.increment();
        }
    }

    private void failed(Exception e) {
        failure = e.toString();
        log.warn("balance replica failed ({}); decisions keep the last known balances, restarting in {} ms",
                e.toString(), retry.toMillis());
    }

    private static Map<String, Object> consumerProperties(Map<String, Object> kafkaProperties) {
        Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "billing-balance-replica");
        return props;
    }

    private void replicate() throws InterruptedException, ExecutionException, TimeoutException {
        target = null;
        setup.ensure();
        try (Consumer<String, byte[]> c = consumers.get()) {
            consumer = c;
            if (!running) {
                return;
            }
            List<TopicPartition> partitions = partitions(c);
            c.assign(partitions);
            for (TopicPartition partition : partitions) {
                Long next = positions.get(partition);
                if (next == null) {
                    c.seekToBeginning(List.of(partition));
                } else {
                    c.seek(partition, next);
                }
            }
            Map<TopicPartition, Long> startupEnd = c.endOffsets(partitions, Duration.ofSeconds(30));
            if (!caughtUpOnce) {
                startupEndTotal = startupEnd.values().stream().mapToLong(Long::longValue).sum();
                log.info("replicating {} ({} partitions, {} records to catch up)", topic.name(), partitions.size(), startupEndTotal);
            } else {
                log.info("replicating {} again from the offsets reached", topic.name());
            }
            failure = null;
            long nextEndCheck = 0;
            while (running) {
                long now = clock.getAsLong();
                if (target == null && now >= nextEndCheck) {
                    target = endOffsets(c, partitions);
                    targetAtMillis = now;
                    nextEndCheck = now + END_CHECK_INTERVAL_MS;
                }
                ConsumerRecords<String, byte[]> records = c.poll(POLL);
                now = clock.getAsLong();
                for (ConsumerRecord<String, byte[]> record : records) {
                    apply(record, now);
                    positions.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
                }
                if (target != null && lagBehind(c, target) == 0) {
                    lastCaughtUpMillis = targetAtMillis;
                    target = null;
                }
                if (!caughtUpOnce) {
                    checkStartup(c, startupEnd);
                }
            }
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record, long now) {
        if (record.key() == null) {
            undecodable.increment();
            return;
        }
        if (record.value() == null) {
            balances.remove(record.key());
            return;
        }
        try {
            balances.put(record.key(), new BalanceView(serde.deserialize(record.topic(), record.value()), now, record.partition()));
        } catch (RuntimeException e) {
            undecodable.increment();
            log.warn("skipping undecodable balance {}-{}@{} for {}: {}", record.topic(), record.partition(), record.offset(),
                    record.key(), e.getMessage());
        }
    }

    private void checkStartup(Consumer<String, byte[]> c, Map<TopicPartition, Long> startupEnd) {
        boolean done = true;
        long read = 0;
        for (Map.Entry<TopicPartition, Long> e : startupEnd.entrySet()) {
            long position = c.position(e.getKey());
            read += Math.min(position, e.getValue());
            done &= position >= e.getValue();
        }
        startupReadTotal = read;
        if (done) {
            caughtUpOnce = true;
            log.info("balance replica caught up: {} consumers", balances.size());
        }
    }

    /** End offsets now, or null when the broker cannot say within the timeout (then freshness does not advance). */
    private Map<TopicPartition, Long> endOffsets(Consumer<String, byte[]> c, List<TopicPartition> partitions) {
        try {
            return c.endOffsets(partitions, END_OFFSETS_TIMEOUT);
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            log.debug("cannot read end offsets of {}: {}", topic.name(), e.getMessage());
            return null;
        }
    }

    /** Records between the positions and {@code end}; published as the lag gauge. */
    private long lagBehind(Consumer<String, byte[]> c, Map<TopicPartition, Long> end) {
        long lag = 0;
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            lag += Math.max(0, e.getValue() - c.position(e.getKey()));
        }
        lagRecords = lag;
        return lag;
    }

    private List<TopicPartition> partitions(Consumer<String, byte[]> c) throws InterruptedException {
        while (running) {
            List<PartitionInfo> infos = c.partitionsFor(topic.name(), Duration.ofSeconds(30));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            log.info("waiting for topic {}", topic.name());
            if (closed.await(500, TimeUnit.MILLISECONDS)) {
                break;
            }
        }
        throw new InterruptedException("closed while waiting for " + topic.name());
    }

    /** Creates the topic as the contract describes it when missing, so the service starts before metering-streams. */
    private static void ensureTopic(TopicSpec topic, Map<String, Object> kafkaProperties)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Object> props = new HashMap<>(kafkaProperties);
        props.keySet().retainAll(AdminClientConfig.configNames());
        Admin admin = Admin.create(props);
        try {
            if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic.name())) {
                return;
            }
            Map<String, String> configs = new HashMap<>(topic.configs());
            configs.put("cleanup.policy", topic.cleanupPolicy());
            admin.createTopics(List.of(new NewTopic(topic.name(), Optional.of(topic.partitions()), Optional.empty()).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
            log.info("created topic {}", topic.name());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        } finally {
            admin.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        running = false;
        closed.countDown();
        Consumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
