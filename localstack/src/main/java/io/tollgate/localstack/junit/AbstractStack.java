package io.tollgate.localstack.junit;

import io.tollgate.localstack.TopicCreator;
import io.tollgate.schemas.topics.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

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
            TopicCreator.awaitLeaders(admin(), List.of(topic.name()));
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
