package io.tollgate.deploy.demo;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The demo's running view of each consumer. On a terminal the table stays under the log and is redrawn in place
 * on every poll; otherwise (a pipe, a CI log) it is printed as plain lines once per round, so logs stay readable.
 */
final class LiveTable {
    record Row(String consumer, String billing, long calls, long inputTokens, long outputTokens, String spent,
               String remaining, String decision) {
    }

    private static final String FORMAT = "  %-9s %-8s %8s %12s %12s %10s %10s  %s";
    private static final String CLEAR_DOWN = "\u001b[J";

    private final PrintStream out;
    private final boolean inPlace;
    private List<String> drawn = List.of();

    LiveTable(PrintStream out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace;
    }

    boolean inPlace() {
        return inPlace;
    }

    /** A line of the story, printed above the table. */
    void log(String line) {
        if (inPlace) {
            List<String> table = drawn;
            erase();
            out.println(line);
            draw(table);
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** A fresh reading while waiting: redrawn on a terminal, not printed otherwise. */
    void refresh(String caption, List<Row> rows) {
        if (inPlace) {
            erase();
            draw(render(caption, rows));
            out.flush();
        }
    }

    /** The reading at the end of a step: stays on screen (terminal) or is printed (plain). */
    void settle(String caption, List<Row> rows) {
        List<String> lines = render(caption, rows);
        if (inPlace) {
            erase();
            lines.forEach(out::println);
            drawn = List.of();
        } else {
            lines.forEach(out::println);
        }
        out.flush();
    }

    /** Takes the live table off the screen (terminal), e.g. once the condition it showed is met. */
    void clear() {
        if (inPlace) {
            erase();
            out.flush();
        }
    }

    static List<String> render(String caption, List<Row> rows) {
        List<String> lines = new ArrayList<>();
        lines.add(caption);
        lines.add(String.format(Locale.ROOT, FORMAT, "consumer", "billing", "calls", "input tok", "output tok",
                "spent", "balance", "decision"));
        for (Row row : rows) {
            lines.add(String.format(Locale.ROOT, FORMAT, row.consumer(), row.billing(), grouped(row.calls()),
                    grouped(row.inputTokens()), grouped(row.outputTokens()), row.spent(), row.remaining(),
                    row.decision()));
        }
        return lines;
    }

    static String grouped(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    private void draw(List<String> lines) {
        lines.forEach(out::println);
        drawn = lines;
    }

    private void erase() {
        if (!drawn.isEmpty()) {
            out.print("\u001b[" + drawn.size() + "F" + CLEAR_DOWN);
            drawn = List.of();
        }
    }
}
