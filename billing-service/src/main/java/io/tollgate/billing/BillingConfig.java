package io.tollgate.billing;

import io.tollgate.billing.decision.Estimate;
import io.tollgate.billing.decision.GatewayChecks;
import io.tollgate.runtime.BearerTokens;
import io.tollgate.runtime.EnvConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.types.Password;

import java.util.List;
import java.util.Map;

/**
 * Every setting of billing-service, one doc line each. A setting {@code tollgate.billing.port} is read from
 * the environment variable {@code TOLLGATE_BILLING_PORT} (see {@link EnvConfig}); the defaults run the local stack.
 */
public final class BillingConfig extends AbstractConfig {

    public static final String HOST = "tollgate.billing.host";
    public static final String PORT = "tollgate.billing.port";
    public static final String GRPC_PORT = "tollgate.billing.grpc.port";
    public static final String EVENT_LOOPS = "tollgate.billing.event.loops";
    public static final String BALANCES_TOPIC = "tollgate.billing.balances.topic";

    public static final String IDENTITY_HEADERS = "tollgate.decision.identity.headers";
    public static final String UNKNOWN_CONSUMER = "tollgate.decision.unknown.consumer";
    public static final String TOP_UP_URL = "tollgate.decision.topup.url";
    public static final String SHARED_SECRET = "tollgate.decision.shared.secret";
    public static final String DECISION_TOKENS = "tollgate.decision.tokens";
    public static final String ESTIMATE_MAX_UNITS = "tollgate.decision.estimate.max.units";
    public static final String STALE_AFTER_MS = "tollgate.decision.stale.after.ms";
    public static final String STALE_MAX_LAG = "tollgate.decision.stale.max.lag";
    public static final String STALE_POLICY = "tollgate.decision.stale.policy";
    public static final String ADMISSION_TTL_MS = "tollgate.decision.admission.ttl.ms";
    public static final String STREAMS_APPLICATION_ID = "tollgate.decision.streams.application.id";
    public static final String USAGE_EVENTS_TOPIC = "tollgate.decision.usage.events.topic";
    public static final String READINESS_KAFKA_TIMEOUT_MS = "tollgate.billing.readiness.kafka.timeout.ms";

    public static final String ADMIN_TOKENS = "tollgate.admin.tokens";
    public static final String ACCOUNTS_TOPIC = "tollgate.billing.accounts.topic";
    public static final String USAGE_HOURLY_TOPIC = "tollgate.billing.usage.hourly.topic";
    public static final String ACCOUNTS_WRITE_TIMEOUT_MS = "tollgate.billing.accounts.write.timeout.ms";
    public static final String USAGE_PAGE_MAX = "tollgate.finance.usage.page.max";

    public static final String ALLOW = "allow";
    public static final String DENY = "deny";
    public static final String FAIL_OPEN = "open";
    public static final String FAIL_CLOSED = "closed";

    public static final ConfigDef DEFINITION = accountSettings(decisionSettings(EnvConfig.withCommon(new ConfigDef())));

    public BillingConfig(Map<?, ?> originals) {
        super(DEFINITION, originals, false);
    }

    /** Defaults, overridden by the environment and then by system properties. */
    public static BillingConfig fromEnvironment() {
        return new BillingConfig(EnvConfig.resolve(DEFINITION));
    }

    public String bootstrapServers() {
        return getString(EnvConfig.BOOTSTRAP_SERVERS);
    }

    public String schemaRegistryUrl() {
        return getString(EnvConfig.SCHEMA_REGISTRY_URL);
    }

    /** Kafka client properties from {@code KAFKA_*} variables (security settings and the like). */
    public Map<String, Object> kafkaClientOverrides() {
        return EnvConfig.kafkaClientOverrides(DEFINITION, System.getenv());
    }

    public List<String> identityHeaders() {
        return getList(IDENTITY_HEADERS);
    }

    public String sharedSecret() {
        Password secret = getPassword(SHARED_SECRET);
        return secret == null ? "" : secret.value();
    }

    /** The tokens gateways must present to the decision endpoints; empty when decisions are open. */
    public BearerTokens decisionTokens() {
        Password tokens = getPassword(DECISION_TOKENS);
        return BearerTokens.parse(tokens == null ? "" : tokens.value());
    }

    /** The checks every decision endpoint makes before deciding, from these settings. */
    public GatewayChecks gatewayChecks() {
        return new GatewayChecks(identityHeaders(), sharedSecret(), decisionTokens(), getLong(ESTIMATE_MAX_UNITS));
    }

    private static ConfigDef decisionSettings(ConfigDef def) {
        return def
                .define(HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                        "Address the HTTP server binds (0.0.0.0 to accept gateways on other hosts).")
                .define(PORT, Type.INT, 8090, ConfigDef.Range.between(0, 65535), Importance.HIGH,
                        "HTTP port of decisions, admin and finance endpoints (0 picks a free port).")
                .define(GRPC_PORT, Type.INT, 9191, ConfigDef.Range.between(-1, 65535), Importance.MEDIUM,
                        "Port of Envoy ext_authz over gRPC (envoy.service.auth.v3.Authorization/Check); -1 disables it.")
                .define(EVENT_LOOPS, Type.INT, Math.max(1, Runtime.getRuntime().availableProcessors()),
                        ConfigDef.Range.atLeast(1), Importance.LOW,
                        "Number of Vert.x event loops serving HTTP (one HTTP server instance per loop).")
                .define(BALANCES_TOPIC, Type.STRING, "billing.balances", Importance.MEDIUM,
                        "Compacted topic of Avro Balance records, replicated into memory for decisions.")
                .define(IDENTITY_HEADERS, Type.LIST, "X-Consumer-Id,X-Consumer-Custom-Id,X-Consumer-Username",
                        Importance.HIGH, "Request headers naming the consumer in forward auth; the first non-empty one wins.")
                .define(UNKNOWN_CONSUMER, Type.STRING, DENY, ValidString.in(DENY, ALLOW), Importance.MEDIUM,
                        "A consumer without a balance: deny (403, reason unknown_consumer) or allow (200).")
                .define(TOP_UP_URL, Type.STRING, "", Importance.LOW,
                        "Where a consumer tops up credits; {consumer} is replaced by its id. Sent as topUpUrl in 402 bodies when set.")
                .define(DECISION_TOKENS, Type.PASSWORD, "", Importance.HIGH,
                        "Comma-separated tokens of the gateways (env TOLLGATE_DECISION_TOKENS). When set, every decision endpoint "
                                + "requires Authorization: Bearer <token> (gRPC: call metadata authorization), otherwise 401 / UNAUTHENTICATED.")
                .define(SHARED_SECRET, Type.PASSWORD, "", Importance.LOW,
                        "Older, optional: when set, decision requests must also carry it in header X-Tollgate-Secret, otherwise 401. "
                                + "Prefer tollgate.decision.tokens.")
                .define(ESTIMATE_MAX_UNITS, Type.LONG, Estimate.DEFAULT_MAX_UNITS, ConfigDef.Range.between(1, Long.MAX_VALUE / 2),
                        Importance.LOW, "Largest estimate of one meter a call may declare (X-Usage-Estimate, estimate); larger is a 400 naming the meter.")
                .define(STALE_AFTER_MS, Type.LONG, 30_000L, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                        "The replica is stale when its last poll that reached the end of billing.balances is older than this.")
                .define(STALE_MAX_LAG, Type.LONG, 10_000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                        "The replica is stale when it lags the end of billing.balances by more than this many records.")
                .define(STALE_POLICY, Type.STRING, FAIL_OPEN, ValidString.in(FAIL_OPEN, FAIL_CLOSED), Importance.HIGH,
                        "When the replica is stale: open (decide from the last known balance and local admissions) "
                                + "or closed (deny with 403, reason stale_balance).")
                .define(ADMISSION_TTL_MS, Type.LONG, 300_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                        "How long a call this instance admitted counts against the balance when no balance counts its usage event "
                                + "(the gateway never reported it).")
                .define(STREAMS_APPLICATION_ID, Type.STRING, "tollgate-metering", Importance.MEDIUM,
                        "metering-streams' application id (its consumer group): its committed offsets on the usage events topic "
                                + "tell, per partition, how fresh the balances are. Empty turns per-partition freshness off.")
                .define(USAGE_EVENTS_TOPIC, Type.STRING, "usage.events", Importance.MEDIUM,
                        "The topic of usage events that metering-streams counts into billing.balances (co-partitioned with it).")
                .define(READINESS_KAFKA_TIMEOUT_MS, Type.LONG, 5_000L, ConfigDef.Range.atLeast(1000), Importance.LOW,
                        "GET /readyz answers 503 once Kafka has not answered for this long (it is asked every second).");
    }

    /** Settings of the accounts and finance packages. */
    private static ConfigDef accountSettings(ConfigDef def) {
        return def
                .define(ADMIN_TOKENS, Type.PASSWORD, "", Importance.HIGH,
                        "Comma-separated bearer tokens accepted by the admin and finance endpoints; none configured refuses every call (401).")
                .define(ACCOUNTS_TOPIC, Type.STRING, "billing.accounts", Importance.MEDIUM,
                        "Topic of Avro AccountEvent records (plans, consumers, credit grants); billing-service is its only writer.")
                .define(USAGE_HOURLY_TOPIC, Type.STRING, "usage.hourly", Importance.MEDIUM,
                        "Topic of Avro UsageAggregate records, replicated into memory for the usage and invoice endpoints.")
                .define(ACCOUNTS_WRITE_TIMEOUT_MS, Type.LONG, 15_000L, ConfigDef.Range.atLeast(100), Importance.LOW,
                        "How long an accounts write waits for Kafka's acknowledgement before answering 503.")
                .define(USAGE_PAGE_MAX, Type.INT, 10_000, ConfigDef.Range.atLeast(1), Importance.LOW,
                        "Largest page of GET /v1/usage (the limit parameter); larger answers are paged with cursor/next.");
    }
}
