package io.tollgate.streams;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.runtime.OpsRoutes;
import io.tollgate.schemas.registry.RegistryConfig;
import io.tollgate.schemas.registry.SchemaRegistry;
import io.tollgate.schemas.registry.SchemaRegistryClient;
import io.tollgate.streams.http.BalanceLookup;
import io.tollgate.streams.http.BalanceRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One running instance of metering-streams: the Kafka Streams application and its HTTP server (health,
 * readiness, metrics, balance queries). Several instances with the same application id share the partitions.
 */
public final class MeteringApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MeteringApp.class);

    private final Vertx vertx;
    private final HttpServer http;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final PrometheusMeterRegistry metrics;
    private final Set<TopicPartition> restoring = ConcurrentHashMap.newKeySet();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile BalanceLookup lookup;
    private volatile boolean failed;

    private MeteringApp(MeteringConfig config, SchemaRegistry registry) {
        try (Admin admin = Admin.create(config.clientProperties())) {
            TopicSetup.ensure(admin, config.topics(), config.getBoolean(MeteringConfig.CREATE_TOPICS));
        }
        Topology topology = MeteringTopology.build(config.topologySettings(), registry);
        log.info("topology:\n{}", topology.describe());

        metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        OpsRoutes.mount(router, metrics, this::readiness);
        new BalanceRoutes(this::lookup, config.adminTokens()).mount(router);
        http = await(vertx.createHttpServer().requestHandler(router)
                .listen(config.httpPort(), config.getString(MeteringConfig.HTTP_HOST)));

        streams = new KafkaStreams(topology, config.streamsProperties(http.actualPort()));
        streams.setUncaughtExceptionHandler(new ThreadReplacement(config.getInt(MeteringConfig.MAX_THREAD_REPLACEMENTS)));
        streams.setGlobalStateRestoreListener(new RestoreTracker());
        streams.setStateListener((now, before) -> {
            log.info("state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR) {
                failed = true;
            }
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics);
        lookup = new BalanceLookup(streams, new HostInfo(config.getString(MeteringConfig.ADVERTISED_HOST), http.actualPort()));
        streams.start();
        log.info("metering-streams started: HTTP on {}, application.server {}:{}", http.actualPort(),
                config.getString(MeteringConfig.ADVERTISED_HOST), http.actualPort());
    }

    /** Starts an instance; the schema registry is the one at {@code schema.registry.url}. */
    public static MeteringApp start(MeteringConfig config) {
        return new MeteringApp(config, new SchemaRegistryClient(RegistryConfig.from(Map.of(RegistryConfig.URL, config.schemaRegistryUrl()))));
    }

    public int httpPort() {
        return http.actualPort();
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** Blocks until the Streams client stopped (closed or failed); true when it failed. */
    public boolean awaitStop() throws InterruptedException {
        stopped.await();
        return failed;
    }

    public OpsRoutes.Readiness readiness() {
        KafkaStreams.State state = streams == null ? KafkaStreams.State.CREATED : streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            return OpsRoutes.Readiness.notReady("kafka streams is " + state);
        }
        if (!restoring.isEmpty()) {
            return OpsRoutes.Readiness.notReady("restoring state of " + restoring);
        }
        return OpsRoutes.Readiness.yes();
    }

    private BalanceLookup.Result lookup(String consumer) {
        BalanceLookup current = lookup;
        return current == null ? new BalanceLookup.Unavailable("starting") : current.lookup(consumer);
    }

    @Override
    public void close() {
        log.info("closing metering-streams");
        streams.close(Duration.ofSeconds(30));
        streamsMetrics.close();
        await(http.close());
        await(vertx.close());
        metrics.close();
        stopped.countDown();
    }

    private static <T> T await(io.vertx.core.Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private final class RestoreTracker implements StateRestoreListener {
        @Override
        public void onRestoreStart(TopicPartition partition, String store, long startOffset, long endOffset) {
            restoring.add(partition);
        }

        @Override
        public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
        }

        @Override
        public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
            restoring.remove(partition);
        }

        @Override
        public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
            restoring.remove(partition);
        }
    }
}
