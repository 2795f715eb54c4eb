package io.tollgate.billing;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.billing.accounts.AccountsModule;
import io.tollgate.billing.decision.BalanceReplica;
import io.tollgate.billing.decision.DecisionEndpoints;
import io.tollgate.billing.decision.DecisionMetrics;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.Freshness;
import io.tollgate.billing.decision.GatewayChecks;
import io.tollgate.billing.decision.StreamsProgressMonitor;
import io.tollgate.billing.extauthz.ExtAuthzServer;
import io.tollgate.billing.extauthz.ExtAuthzService;
import io.tollgate.runtime.KafkaReachability;
import io.tollgate.runtime.Lifecycle;
import io.tollgate.runtime.OpsRoutes.Readiness;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.CommonClientConfigs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/** Entry point of billing-service: {@code java -jar billing-service/target/billing-service.jar}, configured by environment. */
public final class BillingMain {
    private static final Logger log = LoggerFactory.getLogger(BillingMain.class);

    private BillingMain() {
    }

    public static void main(String[] args) throws Exception {
        BillingConfig config = BillingConfig.fromEnvironment();
        Lifecycle lifecycle = new Lifecycle("billing-service").installShutdownHook();
        try {
            start(config, lifecycle);
        } catch (RuntimeException e) {
            log.error("billing-service failed to start", e);
            lifecycle.close();
            System.exit(1);
        }
        lifecycle.awaitShutdown();
    }

    /** Starts every part of the service, registering each with {@code lifecycle}; returns the HTTP server. */
    public static BillingServer start(BillingConfig config, Lifecycle lifecycle) {
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Map<String, Object> kafka = new HashMap<>(config.kafkaClientOverrides());
        kafka.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());

        BalanceReplica replica = lifecycle.register(new BalanceReplica(
                Topics.BILLING_BALANCES.withName(config.getString(BillingConfig.BALANCES_TOPIC)), kafka, config.schemaRegistryUrl(),
                config.getLong(BillingConfig.STALE_AFTER_MS), config.getLong(BillingConfig.STALE_MAX_LAG), metrics,
                System::currentTimeMillis)).start();

        Freshness freshness = replica;
        String streamsApplication = config.getString(BillingConfig.STREAMS_APPLICATION_ID);
        if (!streamsApplication.isBlank()) {
            StreamsProgressMonitor progress = lifecycle.register(StreamsProgressMonitor.start(kafka, streamsApplication,
                    config.getString(BillingConfig.USAGE_EVENTS_TOPIC), config.getString(BillingConfig.BALANCES_TOPIC),
                    config.getLong(BillingConfig.STALE_AFTER_MS), metrics, System::currentTimeMillis));
            freshness = replica.withPartitions(progress.freshness());
        }
        KafkaReachability reachability = lifecycle.register(KafkaReachability.start(kafka, "billing-readiness",
                config.getLong(BillingConfig.READINESS_KAFKA_TIMEOUT_MS)));

        DecisionService decisions = new DecisionService(replica, freshness, new DecisionService.Settings(
                BillingConfig.ALLOW.equals(config.getString(BillingConfig.UNKNOWN_CONSUMER)),
                BillingConfig.FAIL_CLOSED.equals(config.getString(BillingConfig.STALE_POLICY)),
                config.getLong(BillingConfig.ADMISSION_TTL_MS)), System::currentTimeMillis);
        DecisionMetrics decisionMetrics = new DecisionMetrics(metrics);
        GatewayChecks checks = config.gatewayChecks();
        if (!checks.requiresToken()) {
            log.warn("{} is empty: the decision endpoints answer any caller that reaches them",
                    io.tollgate.runtime.EnvConfig.envName(BillingConfig.DECISION_TOKENS));
        }
        DecisionEndpoints endpoints = new DecisionEndpoints(decisions, decisionMetrics, checks, config.getString(BillingConfig.TOP_UP_URL));
        int grpcPort = config.getInt(BillingConfig.GRPC_PORT);
        if (grpcPort >= 0) {
            ExtAuthzServer extAuthz = lifecycle.register(ExtAuthzServer.start(config.getString(BillingConfig.HOST), grpcPort,
                    new ExtAuthzService(decisions, decisionMetrics, checks, config.getString(BillingConfig.TOP_UP_URL))));
            log.info("Envoy ext_authz gRPC on {}:{}", config.getString(BillingConfig.HOST), extAuthz.port());
        }

        AccountsModule accounts = lifecycle.register(new AccountsModule(config, metrics, replica));

        BillingServer server = lifecycle.register(BillingServer.start(config.getString(BillingConfig.HOST),
                config.getInt(BillingConfig.PORT), config.getInt(BillingConfig.EVENT_LOOPS), metrics,
                () -> readiness(reachability.readiness(), replica.readiness(), accounts.readiness()), endpoints, accounts::mount));
        log.info("billing-service listening on {}:{}", config.getString(BillingConfig.HOST), server.port());
        // after the server, so that /healthz and /readyz answer while the accounts topics are checked
        accounts.start();
        return server;
    }

    private static Readiness readiness(Readiness... parts) {
        for (Readiness part : parts) {
            if (!part.ready()) {
                return part;
            }
        }
        return Readiness.yes();
    }
}
