package io.tollgate.localstack;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry's settings, without starting it. */
class ApicurioRegistryTest {

    @Test
    void inMemoryBindsEverythingToLoopbackAndBehavesLikeConfluentsRegistry() {
        ApicurioRegistry registry = new ApicurioRegistry(new ApicurioRegistry.Settings(Path.of("work"), 18081, 19000, null, null, "256m", java.time.Duration.ofSeconds(5)));

        Map<String, String> p = registry.systemProperties();

        assertThat(p).containsEntry("quarkus.http.host", "127.0.0.1").containsEntry("quarkus.http.port", "18081")
                .containsEntry("quarkus.management.host", "127.0.0.1").containsEntry("quarkus.management.port", "19000")
                .containsEntry("apicurio.ccompat.use-canonical-hash", "true")
                .containsEntry("apicurio.rules.global.compatibility", "BACKWARD")
                .containsEntry("apicurio.rest.deletion.artifact.enabled", "true")
                .doesNotContainKey("apicurio.storage.kind");
        assertThat(registry.confluentUrl()).isEqualTo("http://127.0.0.1:18081/apis/ccompat/v7");
        assertThat(registry.logFile()).isEqualTo(Path.of("work", "registry.log"));
    }

    @Test
    void kafkaSqlKeepsSchemasInTheBroker() {
        ApicurioRegistry registry = new ApicurioRegistry(ApicurioRegistry.Settings.kafkaSql(Path.of("work"), 8081, "127.0.0.1:9092"));

        assertThat(registry.systemProperties()).containsEntry("apicurio.storage.kind", "kafkasql")
                .containsEntry("apicurio.kafkasql.bootstrap.servers", "127.0.0.1:9092");
    }

    @Test
    void theDistributionIsFoundInTheBuildOutputOrTheLocalRepository() {
        assertThat(ApicurioRegistry.archive()).isRegularFile().hasFileName("apicurio-registry-app-3.3.3-all.tar.gz");
    }
}
