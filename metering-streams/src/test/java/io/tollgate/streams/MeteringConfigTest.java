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

    @Test
    void failOverSettingsDefaultToASixSecondSessionAFiveSecondTransactionAndOneStandby() {
        Properties defaults = new MeteringConfig(Map.of(), Map.of()).streamsProperties(8070);

        assertThat(defaults.get("main.consumer.session.timeout.ms")).isEqualTo(6000);
        assertThat(defaults.get("main.consumer.heartbeat.interval.ms")).isEqualTo(1500);
        assertThat(defaults.get("producer.transaction.timeout.ms")).isEqualTo(5000);
        assertThat(defaults.get("num.standby.replicas")).isEqualTo(1);
    }

    @Test
    void aKafkaVariableWinsOverTheFailOverSettingsAndTheStreamsProtocolLeavesTheSessionToTheBroker() {
        Properties overridden = new MeteringConfig(Map.of(MeteringConfig.SESSION_TIMEOUT_MS, "9000"),
                Map.of("session.timeout.ms", "10000", "producer.transaction.timeout.ms", "7000")).streamsProperties(8070);
        Properties streamsProtocol = new MeteringConfig(Map.of(), Map.of("group.protocol", "streams")).streamsProperties(8070);

        assertThat(overridden.get("session.timeout.ms")).isEqualTo("10000");
        assertThat(overridden).doesNotContainKey("main.consumer.session.timeout.ms");
        assertThat(overridden.get("producer.transaction.timeout.ms")).isEqualTo("7000");
        assertThat(new MeteringConfig(Map.of(MeteringConfig.SESSION_TIMEOUT_MS, "9000"), Map.of()).streamsProperties(8070)
                .get("main.consumer.session.timeout.ms")).isEqualTo(9000);
        assertThat(streamsProtocol).doesNotContainKeys("main.consumer.session.timeout.ms", "main.consumer.heartbeat.interval.ms");
        assertThat(streamsProtocol.get("producer.transaction.timeout.ms")).isEqualTo(5000);
    }
}
