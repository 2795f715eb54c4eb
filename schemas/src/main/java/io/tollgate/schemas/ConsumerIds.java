package io.tollgate.schemas;

/**
 * The consumer-id alphabet (SPEC §6), the same in ingest, accounts and decisions: 1 to {@value #MAX_LENGTH}
 * printable characters (Unicode code points), none of them a control, format (invisible, e.g. a bidi override),
 * line- or paragraph-separator character or a lone surrogate, and no white space at either end (every reader trims
 * what gateways send, so such an id could never be matched). A consumer id is a Kafka key, a URL path segment, an
 * HTTP header value and a log field; this is what makes it safe in all four.
 *
 * <p>Readers of gateway traffic (ingest's parsers, the decision endpoints) first {@link #normalize} what they receive:
 * white space and ASCII control characters at either end are dropped, as HTTP drops a header's surrounding white space;
 * anything left that is not a valid id is refused. The accounts API takes ids as they are.
 */
public final class ConsumerIds {
    public static final int MAX_LENGTH = 256;
    /** What a valid id is, for error messages and docs. */
    public static final String RULE = "consumer ids are 1 to " + MAX_LENGTH
            + " printable characters: no control or invisible characters, no white space at either end";

    private ConsumerIds() {
    }

    /** What a reader checks: {@code raw} without white space or ASCII controls at either end ({@link String#trim()}). */
    public static String normalize(String raw) {
        return raw == null ? null : raw.trim();
    }

    public static boolean isValid(String id) {
        return problem(id) == null;
    }

    /**
     * Why {@code id} is not a consumer id, or null when it is one. The reason never repeats the id itself, so it can
     * go into a response header or a log line as it is.
     */
    public static String problem(String id) {
        if (id == null || id.isEmpty()) {
            return "is empty; " + RULE;
        }
        if (id.length() > 2 * MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        int count = 0;
        for (int i = 0; i < id.length(); ) {
            int cp = id.codePointAt(i);
            if (!printable(cp)) {
                return "has a control or invisible character (U+" + String.format("%04X", cp) + ") at position " + count + "; " + RULE;
            }
            i += Character.charCount(cp);
            count++;
        }
        if (count > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        if (Character.isWhitespace(id.codePointAt(0)) || Character.isSpaceChar(id.codePointAt(0))
                || Character.isWhitespace(id.codePointBefore(id.length())) || Character.isSpaceChar(id.codePointBefore(id.length()))) {
            return "starts or ends with white space; " + RULE;
        }
        return null;
    }

    /**
     * {@code id} itself when valid.
     *
     * @throws IllegalArgumentException with {@code field} and the reason
     */
    public static String require(String field, String id) {
        String problem = problem(id);
        if (problem != null) {
            throw new IllegalArgumentException(field + " " + problem);
        }
        return id;
    }

    private static boolean printable(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE -> false;
            default -> true;
        };
    }
}
