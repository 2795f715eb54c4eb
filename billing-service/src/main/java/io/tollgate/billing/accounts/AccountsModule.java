package io.tollgate.billing.accounts;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.billing.BillingConfig;
import io.tollgate.billing.decision.BalanceReader;
import io.tollgate.billing.decision.BalanceView;
import io.tollgate.billing.finance.FinanceRoutes;
import io.tollgate.billing.finance.UsageStore;
import io.tollgate.runtime.OpsRoutes;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import io.vertx.ext.web.Router;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The accounts and finance half of billing-service, wired in one place: the replica of billing.accounts
 * and its writer, the replica of usage.hourly, and their HTTP routes behind the admin token check.
 * BillingMain creates it, mounts it on its router, starts it and closes it.
 */
public final class AccountsModule implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AccountsModule.class);
    private final BillingConfig config;
    private final String accountsTopic;
    private final String usageTopic;
    private final AccountsState state = new AccountsState();
    private final UsageStore usage = new UsageStore();
    private final KafkaAccountsLog accountsLog;
    private final TopicReplica<AccountEvent> accountsReplica;
    private final TopicReplica<UsageAggregate> usageReplica;
    private final AccountsService service;
    private final AdminAuth auth;
    private final AccountsRoutes accountsRoutes;
    private final FinanceRoutes financeRoutes;

    public AccountsModule(BillingConfig config, PrometheusMeterRegistry metrics, BalanceReader balances) {
        this.config = config;
        this.accountsTopic = config.getString(BillingConfig.ACCOUNTS_TOPIC);
        this.usageTopic = config.getString(BillingConfig.USAGE_HOURLY_TOPIC);
        Map<String, Object> kafka = kafkaConfig(config);

        Map<String, Object> producerConfig = new HashMap<>(kafka);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "billing-accounts-writer");
        long timeoutMs = config.getLong(BillingConfig.ACCOUNTS_WRITE_TIMEOUT_MS);
        producerConfig.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
        producerConfig.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        producerConfig.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs + 1000, Integer.MAX_VALUE));
        producerConfig.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.accountsLog = new KafkaAccountsLog(new KafkaProducer<>(producerConfig, new StringSerializer(),
                AvroSerde.forValues(AccountEvent.class, config.schemaRegistryUrl()).serializer()),
                accountsTopic, Duration.ofMillis(timeoutMs));

        this.accountsReplica = new TopicReplica<>(accountsTopic, withClientId(kafka, "billing-accounts-replica"),
                AvroSerde.forValues(AccountEvent.class, config.schemaRegistryUrl()).deserializer(),
                (key, event, partition, offset) -> state.apply(event, new AccountsState.Position(partition, offset)));
        this.usageReplica = new TopicReplica<>(usageTopic, withClientId(kafka, "billing-usage-replica"),
                AvroSerde.forValues(UsageAggregate.class, config.schemaRegistryUrl()).deserializer(),
                (key, aggregate, partition, offset) -> usage.put(aggregate));
        this.service = new AccountsService(state, accountsLog, Clock.systemUTC(), accountsReplica::caughtUp);

        List<String> tokens = Arrays.asList(config.getPassword(BillingConfig.ADMIN_TOKENS).value().split(","));
        this.auth = new AdminAuth(tokens);
        if (!auth.hasTokens()) {
            log.warn("{} is empty: every admin and finance call will be refused with 401",
                    io.tollgate.runtime.EnvConfig.envName(BillingConfig.ADMIN_TOKENS));
        }
        this.accountsRoutes = new AccountsRoutes(service, consumer -> balances.get(consumer).map(BalanceView::balance), auth);
        this.financeRoutes = new FinanceRoutes(usage, state, auth, config.getInt(BillingConfig.USAGE_PAGE_MAX), Clock.systemUTC());

        Gauge.builder("tollgate_accounts_replica_records", accountsReplica, TopicReplica::recordsRead)
                .description("Records of billing.accounts applied to the local replica").register(metrics);
        Gauge.builder("tollgate_usage_replica_records", usageReplica, TopicReplica::recordsRead)
                .description("Records of usage.hourly applied to the local usage store").register(metrics);
        Gauge.builder("tollgate_replica_skipped_records", () -> accountsReplica.recordsSkipped() + usageReplica.recordsSkipped())
                .description("Undecodable records skipped by the accounts and usage replicas").register(metrics);
        Gauge.builder("tollgate_replica_restarts", () -> accountsReplica.restarts() + usageReplica.restarts())
                .description("Times the accounts and usage replicas' readers were started again after a failure").register(metrics);
    }

    public void mount(Router router) {
        accountsRoutes.mount(router);
        financeRoutes.mount(router);
    }

    /**
     * Ready once billing.accounts and usage.hourly have been read up to where they ended at start-up, while both
     * readers run; a reader restarting after a failure, or whose thread died, makes it not ready with the cause.
     */
    public OpsRoutes.Readiness readiness() {
        OpsRoutes.Readiness accounts = accountsReplica.readiness();
        if (!accounts.ready()) {
            return OpsRoutes.Readiness.notReady("accounts replica: " + accounts.detail());
        }
        OpsRoutes.Readiness usageRead = usageReplica.readiness();
        if (!usageRead.ready()) {
            return OpsRoutes.Readiness.notReady("usage replica: " + usageRead.detail());
        }
        return OpsRoutes.Readiness.yes();
    }

    public void start() {
        ensureTopics();
        accountsReplica.start();
        usageReplica.start();
    }

    /** billing-service writes billing.accounts, so it creates it; usage.hourly too, so that its replica can start first. */
    private void ensureTopics() {
        Map<String, Object> adminConfig = new HashMap<>(kafkaConfig(config));
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "billing-accounts-admin");
        try (Admin admin = Admin.create(adminConfig)) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (TopicSpec spec : List.of(Topics.BILLING_ACCOUNTS.withName(accountsTopic), Topics.USAGE_HOURLY.withName(usageTopic))) {
                if (existing.contains(spec.name())) {
                    continue;
                }
                Map<String, String> configs = new HashMap<>(spec.configs());
                configs.put("cleanup.policy", spec.cleanupPolicy());
                try {
                    admin.createTopics(List.of(new NewTopic(spec.name(), spec.partitions(), (short) -1).configs(configs)))
                            .all().get(30, TimeUnit.SECONDS);
                    log.info("created topic {} ({} partitions)", spec.name(), spec.partitions());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("could not check or create topics {} and {}: {}; the replicas will wait for them", accountsTopic, usageTopic,
                    e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Map<String, Object> kafkaConfig(BillingConfig config) {
        Map<String, Object> kafka = new HashMap<>(config.kafkaClientOverrides());
        kafka.put("bootstrap.servers", config.bootstrapServers());
        return kafka;
    }

    private static Map<String, Object> withClientId(Map<String, Object> kafka, String clientId) {
        Map<String, Object> copy = new HashMap<>(kafka);
        copy.put("client.id", clientId);
        return copy;
    }

    @Override
    public void close() {
        service.close();
        accountsReplica.close();
        usageReplica.close();
        accountsLog.close();
    }
}
