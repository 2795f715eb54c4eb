package io.tollgate.schemas.csv;

import java.util.regex.Pattern;

/**
 * Cells of the CSV that finance opens in a spreadsheet (billing-service {@code GET /v1/usage} with {@code Accept: text/csv},
 * {@code ./tollgate usage --csv}). Text that a client chose (consumer ids, meter names) must not run as a formula: a
 * cell starting with {@code =}, {@code +}, {@code -}, {@code @}, tab or carriage return gets a leading single quote
 * (OWASP's advice against CSV injection). Numbers are written by Tollgate and stay numbers, minus sign included.
 * A cell holding a comma, a quote, CR or LF is quoted (RFC 4180).
 */
public final class CsvCells {
    private static final Pattern DECIMAL = Pattern.compile("-?[0-9]+(\\.[0-9]+)?");

    private CsvCells() {
    }

    /** A text cell: neutralised if a spreadsheet would read it as a formula, quoted if it needs to be. */
    public static String text(String value) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        char first = value.charAt(0);
        String safe = first == '=' || first == '+' || first == '-' || first == '@' || first == '\t' || first == '\r'
                ? "'" + value : value;
        return quoted(safe);
    }

    /**
     * A number cell ({@code 1200}, {@code -0.20}) as it is. Anything that is not a plain decimal number is written as
     * {@link #text text}, so a number column can never carry a formula either.
     */
    public static String number(String value) {
        return value != null && DECIMAL.matcher(value).matches() ? value : text(value);
    }

    /** One line of cells joined by commas, without the line end. */
    public static String row(String... cells) {
        return String.join(",", cells);
    }

    private static String quoted(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == ',' || c == '"' || c == '\r' || c == '\n') {
                return "\"" + value.replace("\"", "\"\"") + "\"";
            }
        }
        return value;
    }
}
