package io.tollgate.schemas.compat;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guards the Avro contract: every current top-level schema (one per {@code src/main/avro/*.avsc}) must read
 * data written with each of its recorded versions under {@code src/test/resources/schema-history}.
 * To record a changed schema: {@code ./mvnw -o -pl schemas test -Dtest=SchemaCompatibilityTest -Dtollgate.schemaHistory.record=true}.
 */
class SchemaCompatibilityTest {
    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path SOURCES = MODULE.resolve("src/main/avro");
    private static final Path HISTORY = MODULE.resolve("src/test/resources/schema-history");

    private static final Schema USAGE_V1 = new Schema.Parser().parse("""
            {"type": "record", "name": "Usage", "namespace": "test", "fields": [
              {"name": "consumer", "type": "string"},
              {"name": "units", "type": "long"}]}""");

    /** The generated class of each {@code .avsc} source: what every module actually reads with. */
    static Map<String, Schema> currentTopLevelSchemas() throws IOException {
        Map<String, Schema> current = new TreeMap<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).toList()) {
                String record = file.getFileName().toString().replace(".avsc", "");
                try {
                    current.put(record, SpecificData.get().getSchema(Class.forName("io.tollgate.avro." + record)));
                } catch (ClassNotFoundException e) {
                    throw new AssertionError(file + " has no generated class io.tollgate.avro." + record
                            + ": name each .avsc file after the record it defines", e);
                }
            }
        }
        return current;
    }

    @Test
    void everyCurrentSchemaReadsDataWrittenWithEveryRecordedVersion() throws IOException {
        Map<String, Schema> current = currentTopLevelSchemas();
        SchemaHistory history = new SchemaHistory(HISTORY);
        if (Boolean.getBoolean("tollgate.schemaHistory.record")) {
            current.forEach(history::recordIfChanged);
        }

        List<String> problems = history.problems(current);

        assertThat(current).containsKeys("UsageEvent", "AccountEvent", "Balance", "UsageAggregate", "DeadLetter");
        assertThat(problems).as("schema history problems:\n" + String.join("\n", problems)).isEmpty();
    }

    @Test
    void reportsANewFieldWithoutADefaultNamingTheRecordVersionAndField(@TempDir Path root) throws IOException {
        writeVersion(root, "Usage", 1, USAGE_V1);
        Schema withRequiredField = new Schema.Parser().parse("""
                {"type": "record", "name": "Usage", "namespace": "test", "fields": [
                  {"name": "consumer", "type": "string"},
                  {"name": "units", "type": "long"},
                  {"name": "region", "type": "string"}]}""");

        List<String> problems = new SchemaHistory(root).problems("Usage", withRequiredField);

        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).startsWith("Usage: the current schema cannot read data written with v1: READER_FIELD_MISSING_DEFAULT_VALUE")
                .contains("region");
        assertThat(problems.get(1)).startsWith("Usage: the current schema differs from v1; record it as ")
                .contains("Usage/v2.avsc");
    }

    @Test
    void reportsATypeChangeAgainstAnOlderVersionToo(@TempDir Path root) throws IOException {
        Schema v2 = new Schema.Parser().parse("""
                {"type": "record", "name": "Usage", "namespace": "test", "fields": [
                  {"name": "consumer", "type": "string"},
                  {"name": "units", "type": "long"},
                  {"name": "note", "type": ["null", "string"], "default": null}]}""");
        Schema unitsAsInt = new Schema.Parser().parse(v2.toString().replace("\"long\"", "\"int\""));
        writeVersion(root, "Usage", 1, USAGE_V1);
        writeVersion(root, "Usage", 2, v2);

        List<String> problems = new SchemaHistory(root).problems("Usage", unitsAsInt);

        assertThat(problems).filteredOn(p -> p.contains("cannot read"))
                .containsExactly(
                        "Usage: the current schema cannot read data written with v1: TYPE_MISMATCH at /fields/1/type (reader type: INT not compatible with writer type: LONG)",
                        "Usage: the current schema cannot read data written with v2: TYPE_MISMATCH at /fields/1/type (reader type: INT not compatible with writer type: LONG)");
    }

    @Test
    void acceptsAnOptionalFieldWithADefaultRecordedAsTheNextVersion(@TempDir Path root) throws IOException {
        Schema v2 = new Schema.Parser().parse("""
                {"type": "record", "name": "Usage", "namespace": "test", "fields": [
                  {"name": "consumer", "type": "string"},
                  {"name": "units", "type": "long"},
                  {"name": "region", "type": "string", "default": "eu"}]}""");
        writeVersion(root, "Usage", 1, USAGE_V1);
        SchemaHistory history = new SchemaHistory(root);

        assertThat(history.problems("Usage", v2)).containsExactly("Usage: the current schema differs from v1; record it as "
                + root.resolve("Usage/v2.avsc") + " (run the test with -Dtollgate.schemaHistory.record=true)");
        assertThat(history.recordIfChanged("Usage", v2)).isTrue();
        assertThat(history.recordIfChanged("Usage", v2)).as("recording twice writes nothing").isFalse();
        assertThat(history.problems("Usage", v2)).isEmpty();
        assertThat(history.versions("Usage")).containsOnlyKeys(1, 2);
    }

    @Test
    void reportsATopLevelSchemaWithoutHistory(@TempDir Path root) {
        List<String> problems = new SchemaHistory(root).problems(Map.of("Usage", USAGE_V1));

        assertThat(problems).containsExactly("Usage: no schema history; add " + root.resolve("Usage/v1.avsc")
                + " (the current schema, nested records inlined)");
    }

    @Test
    void reportsAGapInVersionNumbers(@TempDir Path root) throws IOException {
        writeVersion(root, "Usage", 1, USAGE_V1);
        writeVersion(root, "Usage", 3, USAGE_V1);

        assertThat(new SchemaHistory(root).problems("Usage", USAGE_V1)).containsExactly("Usage: history skips from v1 to v3");
    }

    @Test
    void docChangesAndJavaStringHintsAreNotSchemaChanges(@TempDir Path root) throws IOException {
        writeVersion(root, "Usage", 1, USAGE_V1);
        Schema documented = new Schema.Parser().parse("""
                {"type": "record", "name": "Usage", "namespace": "test", "doc": "Units per consumer.", "fields": [
                  {"name": "consumer", "type": {"type": "string", "avro.java.string": "String"}, "doc": "who pays"},
                  {"name": "units", "type": "long"}]}""");

        assertThat(new SchemaHistory(root).problems("Usage", documented)).isEmpty();
    }

    private static void writeVersion(Path root, String record, int version, Schema schema) throws IOException {
        Files.createDirectories(root.resolve(record));
        Files.writeString(root.resolve(record).resolve("v" + version + ".avsc"), schema.toString(true));
    }
}
