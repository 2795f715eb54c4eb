package io.tollgate.ingest;

import io.tollgate.runtime.EnvConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class IngestConfigTest {

    @Test
    void defaultsRunTheLocalStack() {
        IngestConfig config = new IngestConfig(Map.of());

        assertThat(config.getInt(IngestConfig.PORT)).isEqualTo(8080);
        assertThat(config.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(config.schemaRegistryUrl()).isEqualTo("http://127.0.0.1:8081/apis/ccompat/v7");
        assertThat(config.tokens()).isEmpty();
        assertThat(config.getInt(IngestConfig.MAX_BODY_BYTES)).isEqualTo(5 * 1024 * 1024);
        assertThat(config.getInt(IngestConfig.MAX_BATCH_EVENTS)).isEqualTo(10_000);
        assertThat(config.getString(IngestConfig.USAGE_TOPIC)).isEqualTo("usage.events");
        assertThat(config.getString(IngestConfig.AWS_TOPIC)).isEqualTo("gateway.aws.logs");
    }

    @Test
    void environmentVariablesNamedAfterTheSettingsOverrideThem() {
        Map<String, Object> values = EnvConfig.resolve(IngestConfig.DEF, Map.of(
                "TOLLGATE_INGEST_TOKENS", " tok-a ,tok-b,, ",
                "TOLLGATE_INGEST_PORT", "18080",
                "KAFKA_BOOTSTRAP_SERVERS", "kafka:9092",
                "TOLLGATE_INGEST_TOPIC_KONG", "kong.raw"), Map.of());

        IngestConfig config = new IngestConfig(values);

        assertThat(config.tokens()).isEqualTo(Set.of("tok-a", "tok-b"));
        assertThat(config.getInt(IngestConfig.PORT)).isEqualTo(18080);
        assertThat(config.bootstrapServers()).isEqualTo("kafka:9092");
        assertThat(config.getString(IngestConfig.KONG_TOPIC)).isEqualTo("kong.raw");
    }

    @Test
    void everySettingHasADocLine() {
        assertThat(IngestConfig.DEF.configKeys().values()).allSatisfy(key -> assertThat(key.documentation).isNotBlank());
    }

    @Test
    void theRawNormalizerFailsOverLikeMeteringStreamsWithASixSecondSessionAndAFiveSecondTransaction() {
        Properties defaults = IngestService.streamsProperties(new IngestConfig(Map.of()), Map.of());

        assertThat(defaults.get("main.consumer.session.timeout.ms")).isEqualTo(6000);
        assertThat(defaults.get("main.consumer.heartbeat.interval.ms")).isEqualTo(1500);
        assertThat(defaults.get("producer.transaction.timeout.ms")).isEqualTo(5000);
        assertThat(defaults.get("processing.guarantee")).isEqualTo("exactly_once_v2");
        assertThat(defaults).as("stateless: no standby").doesNotContainKey("num.standby.replicas");
    }

    @Test
    void rawNormalizerFailOverSettingsComeFromTheirVariablesAndAKafkaVariableWinsOverThem() {
        IngestConfig configured = new IngestConfig(EnvConfig.resolve(IngestConfig.DEF, Map.of(
                "TOLLGATE_INGEST_RAW_SESSION_TIMEOUT_MS", "9000",
                "TOLLGATE_INGEST_RAW_HEARTBEAT_INTERVAL_MS", "3000",
                "TOLLGATE_INGEST_RAW_TRANSACTION_TIMEOUT_MS", "7000"), Map.of()));
        Properties fromSettings = IngestService.streamsProperties(configured, Map.of());
        Properties overridden = IngestService.streamsProperties(configured,
                Map.of("session.timeout.ms", "10000", "producer.transaction.timeout.ms", "8000"));
        Properties streamsProtocol = IngestService.streamsProperties(new IngestConfig(Map.of()), Map.of("group.protocol", "streams"));

        assertThat(fromSettings.get("main.consumer.session.timeout.ms")).isEqualTo(9000);
        assertThat(fromSettings.get("main.consumer.heartbeat.interval.ms")).isEqualTo(3000);
        assertThat(fromSettings.get("producer.transaction.timeout.ms")).isEqualTo(7000);
        assertThat(overridden.get("session.timeout.ms")).isEqualTo("10000");
        assertThat(overridden).doesNotContainKey("main.consumer.session.timeout.ms");
        assertThat(overridden.get("producer.transaction.timeout.ms")).isEqualTo("8000");
        assertThat(streamsProtocol).doesNotContainKeys("main.consumer.session.timeout.ms", "main.consumer.heartbeat.interval.ms");
        assertThat(streamsProtocol.get("producer.transaction.timeout.ms")).isEqualTo(5000);
    }
}
