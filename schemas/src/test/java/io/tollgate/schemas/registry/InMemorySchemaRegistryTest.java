package io.tollgate.schemas.registry;

import io.tollgate.avro.Balance;
import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InMemorySchemaRegistryTest {
    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

    @Test
    void idsAreGlobalStartAtOneAndAreReusedForTheSameSchemaUnderAnotherSubject() {
        int usage = registry.register("usage.events-value", UsageEvent.getClassSchema());
        int balance = registry.register("billing.balances-value", Balance.getClassSchema());
        int usageAgain = registry.register("usage.events.copy-value", UsageEvent.getClassSchema());

        assertThat(usage).isEqualTo(1);
        assertThat(balance).isEqualTo(2);
        assertThat(usageAgain).isEqualTo(1);
        assertThat(registry.schemaById(2)).isEqualTo(Balance.getClassSchema());
    }

    @Test
    void lookupFindsOnlyWhatWasRegisteredUnderThatSubject() {
        registry.register("usage.events-value", UsageEvent.getClassSchema());

        assertThat(registry.lookup("usage.events-value", UsageEvent.getClassSchema())).isEqualTo(1);
        assertThatThrownBy(() -> registry.lookup("usage.events-key", UsageEvent.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.NotFound.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> registry.lookup("usage.events-value", Balance.getClassSchema()))
                .isInstanceOf(SchemaRegistryException.NotFound.class);
    }

    @Test
    void unknownIdIsNotFound() {
        assertThatThrownBy(() -> registry.schemaById(1))
                .isInstanceOf(SchemaRegistryException.NotFound.class)
                .hasMessage("schema registry answered 404 (error 40403): schema 1 not found");
    }
}
