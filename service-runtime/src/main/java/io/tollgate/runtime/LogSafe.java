package io.tollgate.runtime;

/**
 * Text from clients (consumer ids, header values, paths, bodies, messages that quote them) goes into log lines only
 * through {@link #quote}: in double quotes, with every control, invisible or line-breaking character escaped, and cut
 * to a bounded length. A client can then neither forge a log line (CR/LF), hide text (bidi overrides) nor flood the
 * log with one value.
 */
public final class LogSafe {
    public static final int MAX_CHARS = 256;

    private LogSafe() {
    }

    /** {@code acme} becomes {@code "acme"}; a, CR, LF, b becomes {@code "a\r\nb"} (backslash escapes); null is {@code null}. */
    public static String quote(CharSequence text) {
        if (text == null) {
            return "null";
        }
        int shown = Math.min(text.length(), MAX_CHARS);
        if (shown < text.length() && Character.isHighSurrogate(text.charAt(shown - 1))) {
            shown--;
        }
        StringBuilder out = new StringBuilder(shown + 16).append('"');
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
                continue;
            }
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (needsEscape(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        if (text.length() > shown) {
            out.append("...(").append(text.length() - shown).append(" more chars)");
        }
        return out.toString();
    }

    private static boolean needsEscape(char c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.UNASSIGNED -> true;
            default -> false;
        };
    }
}
