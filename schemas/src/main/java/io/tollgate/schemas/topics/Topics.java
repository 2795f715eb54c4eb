package io.tollgate.schemas.topics;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;

import java.util.List;
import java.util.Map;

/**
 * Every topic of SPEC §4, described once. Topics that feed a consumer's balance are keyed by consumer id
 * and share {@link #CONSUMER_PARTITIONS}, so balances never repartition. Keys are UTF-8 strings.
 */
public final class Topics {
    /** Partition count of every topic keyed by consumer id. Co-partitioned: must be equal. */
    public static final int CONSUMER_PARTITIONS = 6;
    private static final int RAW_PARTITIONS = 6;
    private static final String DELETE = "delete";
    private static final String COMPACT = "compact";
    private static final Map<String, String> KEEP_FOREVER = Map.of("retention.ms", "-1");
    private static final Map<String, String> WEEK = Map.of("retention.ms", String.valueOf(7L * 24 * 3600 * 1000));
    private static final Map<String, String> MONTH = Map.of("retention.ms", String.valueOf(35L * 24 * 3600 * 1000));

    public static final TopicSpec KONG_LOGS = raw("gateway.kong.logs", "Kong");
    public static final TopicSpec APISIX_LOGS = raw("gateway.apisix.logs", "APISIX");
    public static final TopicSpec CLOUDEVENTS = raw("gateway.cloudevents", "any gateway or collector");
    public static final TopicSpec APIPARK_LOGS = raw("gateway.apipark.logs", "APIPark");
    public static final TopicSpec AWS_LOGS = raw("gateway.aws.logs", "a CloudWatch Logs subscription or connector");

    public static final TopicSpec USAGE_EVENTS = new TopicSpec("usage.events", CONSUMER_PARTITIONS, DELETE,
            String.class, UsageEvent.class, true, "metering-ingest", MONTH);
    public static final TopicSpec USAGE_EVENTS_DLQ = new TopicSpec("usage.events.dlq", 1, DELETE,
            byte[].class, DeadLetter.class, false, "metering-ingest, metering-streams", MONTH);
    public static final TopicSpec BILLING_ACCOUNTS = new TopicSpec("billing.accounts", CONSUMER_PARTITIONS, DELETE,
            String.class, AccountEvent.class, true, "billing-service", KEEP_FOREVER);
    public static final TopicSpec BILLING_BALANCES = new TopicSpec("billing.balances", CONSUMER_PARTITIONS, COMPACT,
            String.class, Balance.class, true, "metering-streams", Map.of());
    public static final TopicSpec USAGE_HOURLY = new TopicSpec("usage.hourly", CONSUMER_PARTITIONS, DELETE,
            String.class, UsageAggregate.class, true, "metering-streams", KEEP_FOREVER);

    public static final List<TopicSpec> ALL = List.of(KONG_LOGS, APISIX_LOGS, CLOUDEVENTS, APIPARK_LOGS, AWS_LOGS,
            USAGE_EVENTS, USAGE_EVENTS_DLQ, BILLING_ACCOUNTS, BILLING_BALANCES, USAGE_HOURLY);

    private Topics() {
    }

    private static TopicSpec raw(String name, String writer) {
        return new TopicSpec(name, RAW_PARTITIONS, DELETE, byte[].class, byte[].class, false, writer, WEEK);
    }

    /** Topics whose names a deployment may change are looked up here by their default name. */
    public static TopicSpec byName(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no such topic in the contract: " + name));
    }
}
