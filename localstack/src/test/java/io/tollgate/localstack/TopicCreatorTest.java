package io.tollgate.localstack;

import io.tollgate.schemas.topics.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class TopicCreatorTest {

    @Test
    void aContractTopicKeepsItsPartitionsCleanupPolicyAndRetentionWithReplicationOneLocally() {
        NewTopic topic = TopicCreator.local("127.0.0.1:1").newTopic(Topics.USAGE_EVENTS);

        assertThat(topic.name()).isEqualTo("usage.events");
        assertThat(topic.numPartitions()).isEqualTo(6);
        assertThat(topic.replicationFactor()).isEqualTo((short) 1);
        assertThat(topic.configs()).containsEntry("cleanup.policy", "delete").containsEntry("retention.ms", "3024000000");
    }

    @Test
    void balancesAreCompacted() {
        assertThat(TopicCreator.local("127.0.0.1:1").newTopic(Topics.BILLING_BALANCES).configs())
                .containsEntry("cleanup.policy", "compact");
    }

    @Test
    void onAClusterItDidNotStartTheBrokersDefaultReplicationApplies() {
        NewTopic topic = TopicCreator.clusterDefault("kafka:9092").newTopic(Topics.BILLING_ACCOUNTS);

        assertThat(topic.replicationFactor()).isEqualTo((short) -1);
        assertThat(topic.numPartitions()).isEqualTo(6);
        assertThat(topic.configs()).containsEntry("retention.ms", "-1");
        assertThat(Optional.ofNullable(topic.replicasAssignments())).isEmpty();
    }
}
