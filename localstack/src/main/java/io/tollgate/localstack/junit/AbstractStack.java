package io.tollgate.localstack.junit;

import io.tollgate.localstack.TopicCreator;
import io.tollgate.schemas.topics.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/** What every kind of stack shares: unique names and topic creation through one Admin client. */
abstract class AbstractStack implements KafkaStack, AutoCloseable {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong sequence = new AtomicLong();
    private Admin admin;

    @Override
    public String unique(String prefix) {
        return prefix + "-" + RUN + "-" + sequence.incrementAndGet();
    }

    @Override
    public void createTopic(TopicSpec spec) {
        create(TopicCreator.local(bootstrapServers()).newTopic(spec));
    }

    @Override
    public void createTopic(String name, int partitions) {
        create(new NewTopic(name, partitions, (short) 1));
    }

    private void create(NewTopic topic) {
        try {
            admin().createTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
            awaitMetadata(topic.name());
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("creating topic " + topic.name() + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic.name(), e);
        }
    }

    /** Stops what this stack started; never throws for an already stopped part. */
    @Override
    public abstract void close();

    /**
     * The controller acknowledges a new topic before the broker's metadata cache has it; wait until the broker
     * describes it with leaders, so that a test's first produce or describe does not race it.
     */
    private void awaitMetadata(String name) throws InterruptedException, TimeoutException, ExecutionException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                var description = admin().describeTopics(List.of(name)).allTopicNames().get(10, TimeUnit.SECONDS).get(name);
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("topic " + name + " has no leaders after 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // metadata propagation takes a few ms
        }
    }

    protected synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
        }
        return admin;
    }

    protected synchronized void closeAdmin() {
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(5));
            admin = null;
        }
    }

    protected UnsupportedOperationException notEmbedded(String what) {
        return new UnsupportedOperationException(what + " works only with the embedded stack; this test runs against the "
                + mode().name().toLowerCase() + " stack");
    }
}
