package io.tollgate.schemas.topics;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TopicReadersTest {

    @Test
    void readsCommittedEvenWhenTheConfigurationAsksForUncommittedAndKeepsEverythingElse() {
        Map<String, Object> given = Map.of("bootstrap.servers", "127.0.0.1:9092", "isolation.level", "read_uncommitted",
                "client.id", "reader");

        Map<String, Object> committed = TopicReaders.committed(given);

        assertThat(committed).containsEntry("isolation.level", "read_committed")
                .containsEntry("bootstrap.servers", "127.0.0.1:9092").containsEntry("client.id", "reader").hasSize(3);
        assertThat(given).containsEntry("isolation.level", "read_uncommitted");
    }

    @Test
    void addsTheIsolationLevelWhenNoneIsSet() {
        assertThat(TopicReaders.committed(Map.of())).isEqualTo(Map.of("isolation.level", "read_committed"));
    }
}
