package io.tollgate.runtime;

import io.tollgate.runtime.OpsRoutes.Readiness;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Whether Kafka answers now, for {@code /readyz}: off the request path, every second, a {@code describeCluster} with a
 * short timeout. A client's own connection state says little (a producer or a consumer without a group keeps its
 * cached metadata and just retries), so readiness asks. Not ready before the first answer, and again once no answer
 * came for {@code unreachableAfter}; ready at the next answer.
 */
public final class KafkaReachability implements AutoCloseable {
    /** One question to Kafka; throws when it was not answered within {@code timeout}. */
    @FunctionalInterface
    public interface Probe {
        void ask(Duration timeout) throws Exception;
    }

    private static final Logger log = LoggerFactory.getLogger(KafkaReachability.class);
    static final Duration INTERVAL = Duration.ofSeconds(1);
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final String target;
    private final Probe probe;
    private final long unreachableAfterMillis;
    private final LongSupplier clock;
    private final Runnable onClose;
    private ScheduledExecutorService scheduler;
    private volatile long lastAnswerMillis = -1;
    private volatile String lastError;

    KafkaReachability(String target, Probe probe, long unreachableAfterMillis, LongSupplier clock, Runnable onClose) {
        this.target = target;
        this.probe = probe;
        this.unreachableAfterMillis = unreachableAfterMillis;
        this.clock = clock;
        this.onClose = onClose;
    }

    /**
     * Starts asking the cluster of {@code kafkaConfig} (client properties; those an Admin client does not know are
     * dropped) every second.
     */
    public static KafkaReachability start(Map<String, ?> kafkaConfig, String clientId, long unreachableAfterMillis) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.keySet().retainAll(AdminClientConfig.configNames());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        Admin admin = Admin.create(props);
        Probe describe = timeout -> admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                .nodes().get(timeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        KafkaReachability reachability = new KafkaReachability(String.valueOf(props.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)),
                describe, unreachableAfterMillis, System::currentTimeMillis, () -> admin.close(Duration.ofSeconds(2)));
        reachability.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, clientId);
            thread.setDaemon(true);
            return thread;
        });
        reachability.scheduler.scheduleWithFixedDelay(reachability::askOnce, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        return reachability;
    }

    /** Asks once and records the outcome. */
    void askOnce() {
        try {
            probe.ask(TIMEOUT);
            if (lastError != null || lastAnswerMillis < 0) {
                log.info("Kafka at {} answers", target);
            }
            lastError = null;
            lastAnswerMillis = clock.getAsLong();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            if (lastError == null) {
                log.warn("Kafka at {} does not answer: {}", target, cause.toString());
            }
            lastError = cause.toString();
        }
    }

    public Readiness readiness() {
        long last = lastAnswerMillis;
        String error = lastError;
        if (last < 0) {
            return Readiness.notReady("connecting to Kafka at " + target + (error == null ? "" : ": " + error));
        }
        long silentMillis = clock.getAsLong() - last;
        if (silentMillis > unreachableAfterMillis) {
            return Readiness.notReady("Kafka at " + target + " has not answered for " + silentMillis / 1000 + " s"
                    + (error == null ? "" : ": " + error));
        }
        return Readiness.yes();
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            try {
                scheduler.awaitTermination(TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        onClose.run();
    }
}
