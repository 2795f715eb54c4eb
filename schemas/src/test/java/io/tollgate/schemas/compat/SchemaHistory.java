package io.tollgate.schemas.compat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The recorded versions of each top-level schema ({@code <root>/<RecordName>/v<N>.avsc}, each file
 * standalone with nested records inlined) and the checks that keep the contract evolvable: the current
 * schema reads data written with every recorded version (BACKWARD, by Avro's own
 * {@link SchemaCompatibility}), versions are numbered 1..N, and vN is the current schema, so that no
 * change ships without leaving its predecessor in the history.
 */
final class SchemaHistory {
    private static final Pattern VERSION_FILE = Pattern.compile("v(\\d+)\\.avsc");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path root;

    SchemaHistory(Path root) {
        this.root = root;
    }

    /** Versions of {@code record} by number; empty when it has no history. */
    SortedMap<Integer, Schema> versions(String record) {
        SortedMap<Integer, Schema> versions = new TreeMap<>();
        Path dir = root.resolve(record);
        if (!Files.isDirectory(dir)) {
            return versions;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Matcher m = VERSION_FILE.matcher(file.getFileName().toString());
                if (m.matches()) {
                    versions.put(Integer.parseInt(m.group(1)), new Schema.Parser().parse(file.toFile()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return versions;
    }

    /** Every problem with the history of {@code current} (top-level schemas by record name), one readable line each. */
    List<String> problems(Map<String, Schema> current) {
        List<String> problems = new ArrayList<>();
        current.forEach((record, schema) -> problems.addAll(problems(record, schema)));
        return problems;
    }

    List<String> problems(String record, Schema current) {
        SortedMap<Integer, Schema> versions = versions(record);
        if (versions.isEmpty()) {
            return List.of(record + ": no schema history; add " + root.resolve(record).resolve("v1.avsc")
                    + " (the current schema, nested records inlined)");
        }
        List<String> problems = new ArrayList<>();
        int expected = 1;
        for (int version : versions.keySet()) {
            if (version != expected) {
                problems.add(record + ": history skips from v" + (expected - 1) + " to v" + version);
                break;
            }
            expected++;
        }
        versions.forEach((version, writer) -> {
            SchemaPairCompatibility pair = SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
            for (Incompatibility incompatibility : pair.getResult().getIncompatibilities()) {
                problems.add(record + ": the current schema cannot read data written with v" + version + ": "
                        + incompatibility.getType() + " at " + incompatibility.getLocation() + " (" + incompatibility.getMessage() + ")");
            }
        });
        int latest = versions.lastKey();
        if (!withoutJavaProperties(current).equals(withoutJavaProperties(versions.get(latest)))) {
            problems.add(record + ": the current schema differs from v" + latest + "; record it as "
                    + root.resolve(record).resolve("v" + (latest + 1) + ".avsc")
                    + " (run the test with -Dtollgate.schemaHistory.record=true)");
        }
        return problems;
    }

    /** Writes the current schema as the next version of {@code record} when it differs from the latest one. */
    boolean recordIfChanged(String record, Schema current) {
        SortedMap<Integer, Schema> versions = versions(record);
        String json = withoutJavaProperties(current).toString(true) + "\n";
        if (!versions.isEmpty() && withoutJavaProperties(versions.get(versions.lastKey())).equals(withoutJavaProperties(current))) {
            return false;
        }
        int next = versions.isEmpty() ? 1 : versions.lastKey() + 1;
        try {
            Files.createDirectories(root.resolve(record));
            Files.writeString(root.resolve(record).resolve("v" + next + ".avsc"), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return true;
    }

    /**
     * The schema without the code generator's {@code avro.java.string} hints, which change how Java
     * represents strings but not the data, so the history reads like the {@code .avsc} sources.
     */
    static Schema withoutJavaProperties(Schema schema) {
        try {
            JsonNode tree = JSON.readTree(schema.toString());
            strip(tree);
            return new Schema.Parser().parse(tree.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void strip(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove("avro.java.string");
            object.fields().forEachRemaining(e -> strip(e.getValue()));
        } else if (node != null && node.isArray()) {
            node.forEach(SchemaHistory::strip);
        }
    }
}
