package io.tollgate.ingest;

import io.tollgate.runtime.EnvConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
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
}
