package io.tollgate.streams;

import io.tollgate.schemas.registry.InMemorySchemaRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Locks the names of every node and store: a rename would orphan a changelog or an offset, so it must be
 * deliberate. To accept a deliberate change, update {@code src/test/resources/topology.txt}.
 */
class MeteringTopologyDescriptionTest {
    @Test
    void topologyMatchesTheCheckedInDescription() throws IOException {
        MeteringTopology.Settings settings = new MeteringTopology.Settings(TopicNames.defaults(), Duration.ofHours(24),
                Duration.ofMillis(100));
        String actual = MeteringTopology.build(settings, new InMemorySchemaRegistry()).describe().toString();

        String expected;
        try (InputStream in = getClass().getResourceAsStream("/topology.txt")) {
            assertThat(in).as("src/test/resources/topology.txt").isNotNull();
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(actual.strip()).isEqualTo(expected.strip());
    }
}
