package io.tollgate.ingest.format;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonBodiesTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void splitsAnArrayIntoItsElementsAndKeepsASingleObject() throws Exception {
        assertThat(JsonBodies.objectOrArray(b("[{\"a\":1},{\"a\":2}]"))).hasSize(2);
        assertThat(JsonBodies.objectOrArray(b("{\"a\":1}"))).hasSize(1);
    }

    @Test
    void readsNewlineDelimitedObjectsWhereAllowed() throws Exception {
        assertThat(JsonBodies.objectArrayOrLines(b("{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n"))).hasSize(3);
        assertThatThrownBy(() -> JsonBodies.objectOrArray(b("{\"a\":1}\n{\"a\":2}")))
                .isInstanceOf(MalformedBodyException.class)
                .hasMessage("the body must be one JSON object or one array; found 2 top-level values");
    }

    @Test
    void namesWhereTheJsonBreaks() {
        assertThatThrownBy(() -> JsonBodies.objectOrArray(b("{\"a\":1,\n \"b\": }")))
                .isInstanceOf(MalformedBodyException.class)
                .hasMessageStartingWith("not valid JSON at line 2, column 7");
        assertThatThrownBy(() -> JsonBodies.objectOrArray(b("  ")))
                .isInstanceOf(MalformedBodyException.class).hasMessage("the body is empty");
    }

    @Test
    void cloudEventsModesInsistOnTheirShape() throws Exception {
        assertThat(JsonBodies.array(b("[{},{}]"))).hasSize(2);
        assertThatThrownBy(() -> JsonBodies.array(b("{}"))).hasMessage("the body must be one JSON array");
        assertThatThrownBy(() -> JsonBodies.object(b("[{}]"))).hasMessage("the body must be one JSON object");
    }
}
