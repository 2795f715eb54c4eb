package io.tollgate.localstack.registry;

import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.schemas.registry.RegisteredSchema;
import io.tollgate.schemas.registry.RegistryConfig;
import io.tollgate.schemas.registry.SchemaRegistryClient;
import io.tollgate.schemas.registry.SchemaRegistryException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link SchemaRegistryClient} against the real Apicurio Registry's Confluent API. */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class SchemaRegistryClientIT {
    private static final Schema V1 = SchemaBuilder.record("Probe").namespace("io.tollgate.test").fields()
            .requiredString("id").endRecord();
    private static final Schema V2_WITH_DEFAULT = SchemaBuilder.record("Probe").namespace("io.tollgate.test").fields()
            .requiredString("id").name("units").type().longType().longDefault(0).endRecord();
    private static final Schema V2_ID_BECOMES_INT = SchemaBuilder.record("Probe").namespace("io.tollgate.test").fields()
            .requiredInt("id").endRecord();

    private SchemaRegistryClient client;
    private String subject;

    @BeforeEach
    void setUp(KafkaStack stack) {
        client = new SchemaRegistryClient(RegistryConfig.of(stack.schemaRegistryUrl()));
        subject = stack.unique("probe") + "-value";
    }

    @Test
    void registersOnceAndFindsTheSameIdByLookupByIdAndAsLatest() {
        int id = client.register(subject, V1);

        SchemaRegistryClient fresh = new SchemaRegistryClient(client.config());
        assertThat(fresh.register(subject, V1)).as("registering the same schema again").isEqualTo(id);
        assertThat(fresh.lookup(subject, V1)).isEqualTo(id);
        assertThat(fresh.schemaById(id)).isEqualTo(V1);
        RegisteredSchema latest = fresh.latest(subject);
        assertThat(latest.subject()).isEqualTo(subject);
        assertThat(latest.id()).isEqualTo(id);
        assertThat(latest.version()).isEqualTo(1);
        assertThat(latest.schema()).isEqualTo(V1);
    }

    @Test
    void aSecondVersionGetsItsOwnIdAndBecomesLatest() {
        client.setCompatibility(subject, "BACKWARD");
        int first = client.register(subject, V1);
        int second = client.register(subject, V2_WITH_DEFAULT);

        assertThat(second).isNotEqualTo(first);
        RegisteredSchema latest = new SchemaRegistryClient(client.config()).latest(subject);
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.id()).isEqualTo(second);
        assertThat(latest.schema()).isEqualTo(V2_WITH_DEFAULT);
    }

    @Test
    void compatibilityCheckAcceptsAnAddedFieldWithADefaultAndRejectsAChangedType() {
        client.setCompatibility(subject, "BACKWARD");
        client.register(subject, V1);

        assertThat(client.isCompatible(subject, V2_WITH_DEFAULT)).isTrue();
        assertThat(client.isCompatible(subject, V2_ID_BECOMES_INT)).isFalse();
        assertThatThrownBy(() -> client.register(subject, V2_ID_BECOMES_INT))
                .isInstanceOf(SchemaRegistryException.Incompatible.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(409));
    }

    @Test
    void setsAndReadsTheCompatibilityLevelOfASubject() {
        client.register(subject, V1);

        client.setCompatibility(subject, "FULL");
        assertThat(client.compatibility(subject)).isEqualTo("FULL");
        client.setCompatibility(subject, "BACKWARD_TRANSITIVE");
        assertThat(client.compatibility(subject)).isEqualTo("BACKWARD_TRANSITIVE");
    }

    @Test
    void likeConfluentsRegistryTheGlobalLevelIsBackwardAndAnIncompatibleSecondVersionIsRefused() {
        assertThat(client.compatibility(null)).isEqualTo("BACKWARD");
        client.register(subject, V1);

        assertThat(client.isCompatible(subject, V2_ID_BECOMES_INT)).isFalse();
        assertThatThrownBy(() -> client.register(subject, V2_ID_BECOMES_INT)).isInstanceOf(SchemaRegistryException.Incompatible.class);
        assertThat(client.register(subject, V2_WITH_DEFAULT)).isPositive();
    }

    @Test
    void unknownSubjectsSchemasAndIdsAreNotFound() {
        assertThatThrownBy(() -> client.lookup(subject, V1)).isInstanceOf(SchemaRegistryException.NotFound.class);
        assertThatThrownBy(() -> client.latest(subject)).isInstanceOf(SchemaRegistryException.NotFound.class);
        assertThatThrownBy(() -> client.schemaById(987_654_321)).isInstanceOf(SchemaRegistryException.NotFound.class);

        client.register(subject, V1);
        assertThatThrownBy(() -> client.lookup(subject, V2_WITH_DEFAULT)).isInstanceOf(SchemaRegistryException.NotFound.class);
    }
}
