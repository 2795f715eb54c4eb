package io.tollgate.schemas.registry;

import org.apache.avro.Schema;

/**
 * What Tollgate needs of a Confluent-compatible schema registry. {@link SchemaRegistryClient} speaks to a
 * real one over HTTP; {@link InMemorySchemaRegistry} stands in for it in topology tests.
 */
public interface SchemaRegistry {
    /** Registers {@code schema} under {@code subject} (or finds it) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of {@code schema} under {@code subject}, without registering it. */
    int lookup(String subject, Schema schema);

    /** The schema with global id {@code id}. */
    Schema schemaById(int id);
}
