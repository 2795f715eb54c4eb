package io.tollgate.streams;

import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Creates missing topics of the contract and refuses to start when the co-partitioned topics (usage events,
 * account events, balances, hourly usage) differ in partition count: dedup, rating and balance of a consumer
 * must stay on one partition number across all of them.
 */
public final class TopicSetup {
    private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

    private TopicSetup() {
    }

    public static void ensure(Admin admin, TopicNames topics, boolean create) {
        Map<String, TopicSpec> coPartitioned = new LinkedHashMap<>();
        coPartitioned.put(topics.usageEvents(), Topics.USAGE_EVENTS.withName(topics.usageEvents()));
        coPartitioned.put(topics.billingAccounts(), Topics.BILLING_ACCOUNTS.withName(topics.billingAccounts()));
        coPartitioned.put(topics.balances(), Topics.BILLING_BALANCES.withName(topics.balances()));
        coPartitioned.put(topics.usageHourly(), Topics.USAGE_HOURLY.withName(topics.usageHourly()));

        Map<String, Integer> partitions = new LinkedHashMap<>();
        for (String name : coPartitioned.keySet()) {
            partitionsOf(admin, name).ifPresent(count -> partitions.put(name, count));
        }
        int target = partitions.values().stream().findFirst().orElse(Topics.CONSUMER_PARTITIONS);
        if (create) {
            for (TopicSpec spec : coPartitioned.values()) {
                if (!partitions.containsKey(spec.name())) {
                    createTopic(admin, spec.withPartitions(target));
                    partitions.put(spec.name(), partitionsOf(admin, spec.name()).orElse(target));
                }
            }
            if (partitionsOf(admin, topics.deadLetters()).isEmpty()) {
                createTopic(admin, Topics.USAGE_EVENTS_DLQ.withName(topics.deadLetters()));
            }
        }
        check(partitions, coPartitioned.keySet().size());
    }

    /** Throws unless every co-partitioned topic exists and all have the same partition count. */
    static void check(Map<String, Integer> partitions, int expectedTopics) {
        if (partitions.size() < expectedTopics) {
            throw new IllegalStateException("refusing to start: missing co-partitioned topics; found only " + partitions);
        }
        if (partitions.values().stream().distinct().count() > 1) {
            throw new IllegalStateException("refusing to start: co-partitioned topics differ in partition count " + partitions
                    + "; every topic keyed by consumer must have the same number of partitions");
        }
    }

    private static Optional<Integer> partitionsOf(Admin admin, String topic) {
        try {
            TopicDescription description = admin.describeTopics(java.util.List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic);
            return Optional.of(description.partitions().size());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw new IllegalStateException("cannot describe topic " + topic + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within 30 s when describing " + topic, e);
        }
    }

    private static void createTopic(Admin admin, TopicSpec spec) {
        Map<String, String> configs = new LinkedHashMap<>(spec.configs());
        configs.put("cleanup.policy", spec.cleanupPolicy());
        NewTopic topic = new NewTopic(spec.name(), Optional.of(spec.partitions()), Optional.empty()).configs(configs);
        try {
            admin.createTopics(java.util.List.of(topic)).all().get(30, TimeUnit.SECONDS);
            log.info("created topic {} ({} partitions, {})", spec.name(), spec.partitions(), configs);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topic " + spec.name() + ": " + e.getCause(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Kafka did not answer within 30 s when creating " + spec.name(), e);
        }
    }
}
