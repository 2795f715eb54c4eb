package io.tollgate.localstack;

import io.tollgate.schemas.topics.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Creates the topics of the contract ({@code Topics.ALL}) that are missing, with their partitions, cleanup
 * policy and configs. Existing topics are left as they are: it never deletes or alters data.
 */
public final class TopicCreator {
    private static final Logger log = LoggerFactory.getLogger(TopicCreator.class);

    private final String bootstrapServers;
    private final short replicationFactor;

    public TopicCreator(String bootstrapServers, short replicationFactor) {
        this.bootstrapServers = bootstrapServers;
        this.replicationFactor = replicationFactor;
    }

    /** The cluster's {@code default.replication.factor}: for a cluster this module did not start. */
    public static TopicCreator clusterDefault(String bootstrapServers) {
        return new TopicCreator(bootstrapServers, (short) -1);
    }

    /** Replication factor 1: the single local broker. */
    public static TopicCreator local(String bootstrapServers) {
        return new TopicCreator(bootstrapServers, (short) 1);
    }

    /** The Kafka topic {@code spec} describes. */
    public NewTopic newTopic(TopicSpec spec) {
        Map<String, String> configs = new HashMap<>(spec.configs());
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, spec.cleanupPolicy());
        Optional<Short> replication = replicationFactor > 0 ? Optional.of(replicationFactor) : Optional.empty();
        return new NewTopic(spec.name(), Optional.of(spec.partitions()), replication).configs(configs);
    }

    /** Creates each topic of {@code specs} that does not exist yet; returns the names it created. */
    public List<String> createMissing(List<TopicSpec> specs) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            return createMissing(admin, specs);
        }
    }

    /**
     * The controller acknowledges a new topic before the broker's metadata cache has it: waits until the broker
     * describes every topic of {@code names} with a leader for each partition, so a first produce does not race it.
     */
    public static void awaitLeaders(Admin admin, Collection<String> names) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
                if (described.values().stream().flatMap(d -> d.partitions().stream())
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topics " + names + " have no leaders after 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // metadata propagation takes milliseconds
        }
    }

    public List<String> createMissing(Admin admin, List<TopicSpec> specs) {
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = specs.stream().filter(s -> !existing.contains(s.name())).map(this::newTopic).toList();
            List<String> created = new ArrayList<>();
            for (var entry : admin.createTopics(missing).values().entrySet()) {
                try {
                    entry.getValue().get(30, TimeUnit.SECONDS);
                    created.add(entry.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            if (!created.isEmpty()) {
                awaitLeaders(admin, created);
                log.info("created topics {}", created);
            }
            return created;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot list topics on " + bootstrapServers + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka at " + bootstrapServers + " did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }
}
