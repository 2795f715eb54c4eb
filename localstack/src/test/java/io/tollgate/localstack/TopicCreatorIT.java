package io.tollgate.localstack;

import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.schemas.topics.TopicSpec;
import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class TopicCreatorIT {

    @Test
    void createsEveryContractTopicWithItsPartitionsCleanupPolicyAndRetentionThenLeavesThemAlone(KafkaStack stack) throws Exception {
        String run = stack.unique("t");
        List<TopicSpec> specs = Topics.ALL.stream().map(t -> t.withName(run + "." + t.name())).toList();
        TopicCreator creator = TopicCreator.local(stack.bootstrapServers());

        List<String> created = creator.createMissing(specs);

        assertThat(created).containsExactlyInAnyOrderElementsOf(specs.stream().map(TopicSpec::name).toList());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            for (TopicSpec spec : specs) {
                TopicDescription description = admin.describeTopics(List.of(spec.name())).allTopicNames().get(30, TimeUnit.SECONDS).get(spec.name());
                assertThat(description.partitions()).as(spec.name()).hasSize(spec.partitions());
                assertThat(description.partitions().get(0).replicas()).hasSize(1);
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
                Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
                assertThat(config.get("cleanup.policy").value()).as(spec.name()).isEqualTo(spec.cleanupPolicy());
                spec.configs().forEach((key, value) -> assertThat(config.get(key).value()).as(spec.name() + " " + key).isEqualTo(value));
            }
        }
        assertThat(creator.createMissing(specs)).as("second run").isEmpty();
    }

    @Test
    void balancesAreCompactedAndUsageEventsKeepThirtyFiveDays(KafkaStack stack) throws Exception {
        TopicSpec balances = Topics.BILLING_BALANCES.withName(stack.unique("billing.balances"));
        TopicSpec usage = Topics.USAGE_EVENTS.withName(stack.unique("usage.events"));
        TopicCreator.local(stack.bootstrapServers()).createMissing(List.of(balances, usage));

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            ConfigResource b = new ConfigResource(ConfigResource.Type.TOPIC, balances.name());
            ConfigResource u = new ConfigResource(ConfigResource.Type.TOPIC, usage.name());
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(b, u)).all().get(30, TimeUnit.SECONDS);
            assertThat(configs.get(b).get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(configs.get(u).get("cleanup.policy").value()).isEqualTo("delete");
            assertThat(configs.get(u).get("retention.ms").value()).isEqualTo("3024000000");
            assertThat(admin.describeTopics(List.of(usage.name())).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(usage.name()).partitions()).hasSize(6);
        }
    }
}
