package io.tollgate.deploy.demo;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LiveTableTest {
    private static final List<LiveTable.Row> ROWS = List.of(
            new LiveTable.Row("acme", "prepaid", 1432, 0, 0, "0.864", "24.136", "200"),
            new LiveTable.Row("initech", "prepaid", 16, 24_000, 32_000, "0.06", "-0.01", "402 insufficient_credits"));

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void rendersOneLinePerConsumerWithGroupedNumbers() {
        List<String> lines = LiveTable.render("after round 2", ROWS);

        assertThat(lines).hasSize(4);
        assertThat(lines.get(2)).contains("acme", "prepaid", "1,432", "0.864", "24.136", "200");
        assertThat(lines.get(3)).contains("initech", "24,000", "32,000", "-0.01", "402 insufficient_credits");
    }

    @Test
    void printsPlainLinesOnlyWhenAStepSettles() {
        LiveTable table = new LiveTable(out, false);

        table.refresh("waiting", ROWS);
        table.log("round 1");
        table.settle("after round 1", ROWS);

        assertThat(printed()).doesNotContain("waiting").doesNotContain("\u001b[");
        assertThat(printed().lines().toList()).containsExactly("round 1", "after round 1",
                LiveTable.render("", ROWS).get(1), LiveTable.render("", ROWS).get(2), LiveTable.render("", ROWS).get(3));
    }

    @Test
    void redrawsInPlaceOnATerminalAndKeepsLogLinesAboveTheTable() {
        LiveTable table = new LiveTable(out, true);

        table.refresh("waiting", ROWS);
        table.log("a log line");
        table.refresh("waiting", ROWS);
        table.clear();

        // each redraw first moves up over the 4 lines it drew and clears to the end of the screen
        assertThat(printed()).contains("\u001b[4F\u001b[J");
        assertThat(printed().split("\u001b\\[4F\u001b\\[J", -1)).hasSize(4);
        assertThat(printed()).contains("a log line");
    }
}
