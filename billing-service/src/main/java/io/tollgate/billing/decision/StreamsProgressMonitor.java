package io.tollgate.billing.decision;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Reads, every second and off the request path, how far metering-streams has counted each partition of
 * {@code usage.events}: the end offsets (read committed), the log start offsets and the committed offsets of its
 * consumer group (the Streams application id), through one Admin client, and hands them to {@link PartitionFreshness}.
 * Publishes {@code tollgate_decision_partition_staleness_seconds{partition}}.
 */
public final class StreamsProgressMonitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamsProgressMonitor.class);
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Admin admin;
    private final String groupId;
    private final String usageTopic;
    private final String balancesTopic;
    private final PartitionFreshness freshness;
    private final MeterRegistry metrics;
    private final LongSupplier clock;
    private final Counter failedChecks;
    private final ScheduledExecutorService scheduler;
    private int gauges;
    private boolean failing;
    private boolean warnedMismatch;

    private StreamsProgressMonitor(Admin admin, String groupId, String usageTopic, String balancesTopic, long staleAfterMillis,
                                   MeterRegistry metrics, LongSupplier clock) {
        this.admin = admin;
        this.groupId = groupId;
        this.usageTopic = usageTopic;
        this.balancesTopic = balancesTopic;
        this.freshness = new PartitionFreshness(staleAfterMillis);
        this.metrics = metrics;
        this.clock = clock;
        this.failedChecks = Counter.builder("tollgate.decision.partition.check.failures")
                .description("Reads of the streams application's progress on usage.events that failed").register(metrics);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "streams-progress");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Starts following the consumer group {@code groupId} (metering-streams' application id) on {@code usageTopic}, for
     * the balances on {@code balancesTopic}.
     */
    public static StreamsProgressMonitor start(Map<String, Object> kafka, String groupId, String usageTopic, String balancesTopic,
                                               long staleAfterMillis, MeterRegistry metrics, LongSupplier clock) {
        Map<String, Object> props = new HashMap<>(kafka);
        props.keySet().retainAll(AdminClientConfig.configNames());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "billing-streams-progress");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        StreamsProgressMonitor monitor = new StreamsProgressMonitor(Admin.create(props), groupId, usageTopic, balancesTopic,
                staleAfterMillis, metrics, clock);
        monitor.scheduler.scheduleWithFixedDelay(monitor::checkQuietly, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        log.info("following the progress of consumer group {} on {} for per-partition freshness", groupId, usageTopic);
        return monitor;
    }

    public PartitionFreshness freshness() {
        return freshness;
    }

    private void checkQuietly() {
        try {
            check();
            if (failing) {
                log.info("reading the progress of {} on {} again", groupId, usageTopic);
                failing = false;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            failedChecks.increment();
            if (!failing) {
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                log.warn("cannot read the progress of {} on {} ({}); partition staleness grows until it can",
                        groupId, usageTopic, cause.toString());
                failing = true;
            }
        }
    }

    private void check() throws InterruptedException, ExecutionException, TimeoutException {
        int usagePartitions = partitionCount(usageTopic);
        if (usagePartitions == 0) {
            freshness.update(clock.getAsLong(), List.of(), 0);
            return;
        }
        int balancePartitions = partitionCount(balancesTopic);
        if (balancePartitions == 0) {
            balancePartitions = usagePartitions;
        }
        if (balancePartitions != usagePartitions && !warnedMismatch) {
            log.warn("{} has {} partitions and {} has {}: they are not co-partitioned, so every consumer follows the stalest partition",
                    usageTopic, usagePartitions, balancesTopic, balancePartitions);
            warnedMismatch = true;
        }
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (int p = 0; p < usagePartitions; p++) {
            latest.put(new TopicPartition(usageTopic, p), OffsetSpec.latest());
            earliest.put(new TopicPartition(usageTopic, p), OffsetSpec.earliest());
        }
        ListOffsetsOptions committedOnly = new ListOffsetsOptions(IsolationLevel.READ_COMMITTED);
        committedOnly.timeoutMs((int) TIMEOUT.toMillis());
        long now = clock.getAsLong();
        // the end offsets before the group's offsets: a committed offset read after them that reaches them proves
        // that everything written before `now` was counted
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = get(admin.listOffsets(latest, committedOnly).all());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = get(admin.listOffsets(earliest, committedOnly).all());
        Map<TopicPartition, OffsetAndMetadata> committed = get(admin.listConsumerGroupOffsets(groupId,
                new ListConsumerGroupOffsetsOptions().timeoutMs((int) TIMEOUT.toMillis())).partitionsToOffsetAndMetadata());
        List<PartitionFreshness.PartitionOffsets> offsets = new ArrayList<>(usagePartitions);
        for (int p = 0; p < usagePartitions; p++) {
            TopicPartition partition = new TopicPartition(usageTopic, p);
            OffsetAndMetadata groupOffset = committed.get(partition);
            offsets.add(new PartitionFreshness.PartitionOffsets(starts.get(partition).offset(), ends.get(partition).offset(),
                    groupOffset == null ? -1 : groupOffset.offset()));
        }
        freshness.update(now, offsets, balancePartitions);
        registerGauges(freshness.partitions());
    }

    /** Partitions of {@code topic}; 0 when it does not exist. */
    private int partitionCount(String topic) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            TopicDescription description = get(admin.describeTopics(List.of(topic)).topicNameValues().get(topic));
            return description.partitions().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return 0;
            }
            throw e;
        }
    }

    private void registerGauges(int partitions) {
        for (int p = gauges; p < partitions; p++) {
            int partition = p;
            Gauge.builder("tollgate.decision.partition.staleness.seconds", freshness, f -> {
                        long millis = f.stalenessMillis(partition, clock.getAsLong());
                        return millis < 0 ? Double.NaN : millis / 1000.0;
                    })
                    .tag("partition", Integer.toString(partition))
                    .description("Seconds the counting of this partition of usage.events (and so its consumers' balances) is behind")
                    .register(metrics);
        }
        gauges = Math.max(gauges, partitions);
    }

    private static <T> T get(KafkaFuture<T> future) throws InterruptedException, ExecutionException, TimeoutException {
        return future.get(TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(2));
    }
}
