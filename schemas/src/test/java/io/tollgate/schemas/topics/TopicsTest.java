package io.tollgate.schemas.topics;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicsTest {
    private static final long DAY_MS = 24L * 3600 * 1000;

    @Test
    void everyTopicOfTheSpecIsDescribedWithItsKeyValueAndWriter() {
        Map<String, TopicSpec> byName = Topics.ALL.stream().collect(Collectors.toMap(TopicSpec::name, Function.identity()));

        assertThat(byName.keySet()).containsExactlyInAnyOrder(
                "gateway.kong.logs", "gateway.apisix.logs", "gateway.cloudevents", "gateway.apipark.logs", "gateway.aws.logs",
                "usage.events", "usage.events.dlq", "billing.accounts", "billing.balances", "usage.hourly");
        assertThat(List.of("gateway.kong.logs", "gateway.apisix.logs", "gateway.cloudevents", "gateway.apipark.logs", "gateway.aws.logs"))
                .allSatisfy(raw -> {
                    TopicSpec spec = byName.get(raw);
                    assertThat(spec.keyType()).as(raw).isEqualTo(byte[].class);
                    assertThat(spec.valueType()).as(raw).isEqualTo(byte[].class);
                    assertThat(spec.isAvro()).as(raw).isFalse();
                    assertThat(spec.keyedByConsumer()).as(raw).isFalse();
                });
        assertTopic(byName.get("usage.events"), String.class, UsageEvent.class, true, "delete", "metering-ingest");
        assertTopic(byName.get("usage.events.dlq"), byte[].class, DeadLetter.class, false, "delete", "metering-ingest, metering-streams");
        assertTopic(byName.get("billing.accounts"), String.class, AccountEvent.class, true, "delete", "billing-service");
        assertTopic(byName.get("billing.balances"), String.class, Balance.class, true, "compact", "metering-streams");
        assertTopic(byName.get("usage.hourly"), String.class, UsageAggregate.class, true, "delete", "metering-streams");
        assertThat(byName.get("gateway.kong.logs").writer()).isEqualTo("Kong");
        assertThat(byName.get("gateway.apisix.logs").writer()).isEqualTo("APISIX");
        assertThat(byName.get("gateway.apipark.logs").writer()).isEqualTo("APIPark");
    }

    private static void assertTopic(TopicSpec spec, Class<?> key, Class<?> value, boolean keyedByConsumer, String cleanup, String writer) {
        assertThat(spec.keyType()).as(spec.name() + " key").isEqualTo(key);
        assertThat(spec.valueType()).as(spec.name() + " value").isEqualTo(value);
        assertThat(spec.isAvro()).as(spec.name() + " is Avro").isTrue();
        assertThat(spec.keyedByConsumer()).as(spec.name() + " keyed by consumer").isEqualTo(keyedByConsumer);
        assertThat(spec.cleanupPolicy()).as(spec.name() + " cleanup.policy").isEqualTo(cleanup);
        assertThat(spec.writer()).as(spec.name() + " writer").isEqualTo(writer);
    }

    @Test
    void constantsAreTheTopicsOfTheList() {
        assertThat(Topics.ALL).containsExactlyInAnyOrder(Topics.KONG_LOGS, Topics.APISIX_LOGS, Topics.CLOUDEVENTS,
                Topics.APIPARK_LOGS, Topics.AWS_LOGS, Topics.USAGE_EVENTS, Topics.USAGE_EVENTS_DLQ, Topics.BILLING_ACCOUNTS,
                Topics.BILLING_BALANCES, Topics.USAGE_HOURLY);
        assertThat(Topics.USAGE_EVENTS.name()).isEqualTo("usage.events");
        assertThat(Topics.BILLING_BALANCES.name()).isEqualTo("billing.balances");
    }

    @Test
    void everyTopicThatFeedsABalanceIsCoPartitioned() {
        List<TopicSpec> consumerKeyed = Topics.ALL.stream().filter(TopicSpec::keyedByConsumer).toList();

        assertThat(consumerKeyed).extracting(TopicSpec::name)
                .containsExactlyInAnyOrder("usage.events", "billing.accounts", "billing.balances", "usage.hourly");
        assertThat(consumerKeyed).extracting(TopicSpec::partitions).containsOnly(Topics.CONSUMER_PARTITIONS);
        assertThat(consumerKeyed).extracting(TopicSpec::keyType).containsOnly(String.class);
        assertThat(Topics.CONSUMER_PARTITIONS).isPositive();
    }

    @Test
    void namesAreUnique() {
        assertThat(Topics.ALL).extracting(TopicSpec::name).doesNotHaveDuplicates();
    }

    @Test
    void everyTopicHasAtLeastOnePartitionAndAKnownCleanupPolicy() {
        assertThat(Topics.ALL).allSatisfy(spec -> {
            assertThat(spec.partitions()).as(spec.name()).isPositive();
            assertThat(spec.cleanupPolicy()).as(spec.name()).isIn("delete", "compact");
            assertThat(spec.configs()).as(spec.name()).doesNotContainKey("cleanup.policy");
        });
    }

    @Test
    void retentionKeepsWhatBillingNeeds() {
        assertThat(Topics.BILLING_ACCOUNTS.configs()).containsEntry("retention.ms", "-1");
        assertThat(Topics.USAGE_HOURLY.configs()).containsEntry("retention.ms", "-1");
        assertThat(Topics.BILLING_BALANCES.configs()).doesNotContainKey("retention.ms");
        assertThat(Long.parseLong(Topics.USAGE_EVENTS.configs().get("retention.ms")))
                .as("usage.events outlives a monthly billing period and the dedup window").isGreaterThanOrEqualTo(31 * DAY_MS);
        assertThat(Long.parseLong(Topics.KONG_LOGS.configs().get("retention.ms"))).isEqualTo(7 * DAY_MS);
    }

    @Test
    void withNameAndWithPartitionsChangeOnlyThatField() {
        TopicSpec renamed = Topics.USAGE_EVENTS.withName("usage.events-it-42");
        TopicSpec wider = Topics.USAGE_EVENTS.withPartitions(1);

        assertThat(renamed.name()).isEqualTo("usage.events-it-42");
        assertThat(renamed).usingRecursiveComparison().ignoringFields("name").isEqualTo(Topics.USAGE_EVENTS);
        assertThat(wider.partitions()).isEqualTo(1);
        assertThat(wider).usingRecursiveComparison().ignoringFields("partitions").isEqualTo(Topics.USAGE_EVENTS);
    }

    @Test
    void byNameFindsContractTopicsAndRejectsOthers() {
        assertThat(Topics.byName("billing.balances")).isSameAs(Topics.BILLING_BALANCES);
        assertThatThrownBy(() -> Topics.byName("billing.balance"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no such topic in the contract: billing.balance");
    }
}
