package io.tollgate.streams;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class MeteringConfigTest {

    @Test
    void balancesArePublishedEvery100MsAndHoursEverySecondByDefault() {
        MeteringTopology.Settings settings = new MeteringConfig(Map.of(), Map.of()).topologySettings();

        assertThat(settings.flushInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(settings.hourlyFlushInterval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void streamsProducerRetriesAfter20MsUnlessAKafkaVariableSaysOtherwise() {
        Properties defaults = new MeteringConfig(Map.of(), Map.of()).streamsProperties(8070);
        Properties overridden = new MeteringConfig(Map.of(), Map.of("producer.retry.backoff.ms", "50")).streamsProperties(8070);

        assertThat(defaults.get("producer.retry.backoff.ms")).isEqualTo(20);
        assertThat(defaults.get("processing.guarantee")).isEqualTo("exactly_once_v2");
        assertThat(overridden.get("producer.retry.backoff.ms")).isEqualTo("50");
    }

    @Test
    void balanceQueriesTakeTheAdminTokensOfTollgateAdminTokensAndNoneByDefault() {
        MeteringConfig configured = new MeteringConfig(Map.of(MeteringConfig.ADMIN_TOKENS, "first,second"), Map.of());

        assertThat(io.tollgate.runtime.EnvConfig.envName(MeteringConfig.ADMIN_TOKENS)).isEqualTo("TOLLGATE_ADMIN_TOKENS");
        assertThat(configured.adminTokens().acceptsHeader("Bearer second")).isTrue();
        assertThat(new MeteringConfig(Map.of(), Map.of()).adminTokens().isEmpty()).isTrue();
    }
}
