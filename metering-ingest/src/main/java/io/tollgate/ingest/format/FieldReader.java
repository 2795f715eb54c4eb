package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the fields of one element and collects every problem (field path and reason) instead of
 * stopping at the first, so a 400 names all of them. Absent and JSON {@code null} are the same.
 */
final class FieldReader {
    static final String REQUIRED = "required";
    static final String NOT_A_STRING = "must be a string";
    static final String NOT_AN_OBJECT = "must be a JSON object";
    static final int MAX_TEXT = 1024;
    private static final Pattern METER_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.\\-]{0,63}");

    private final int index;
    private final List<ParseResult.Invalid> errors = new ArrayList<>();

    FieldReader(int index) {
        this.index = index;
    }

    static boolean absent(JsonNode node) {
        return node == null || node.isMissingNode() || node.isNull();
    }

    void invalid(String field, String reason) {
        errors.add(new ParseResult.Invalid(index, field, reason));
    }

    boolean ok() {
        return errors.isEmpty();
    }

    List<ParseResult.Invalid> errors() {
        return errors;
    }

    /** A non-blank string, or a number written as its text (ids are often numeric). */
    String text(JsonNode node, String field) {
        if (absent(node)) {
            return null;
        }
        if (node.isTextual()) {
            String value = node.textValue().trim();
            if (value.length() > MAX_TEXT) {
                invalid(field, "too long (at most " + MAX_TEXT + " characters)");
                return null;
            }
            return value.isEmpty() ? null : value;
        }
        if (node.isNumber() || node.isBoolean()) {
            return node.asText();
        }
        invalid(field, NOT_A_STRING);
        return null;
    }

    String requiredText(JsonNode node, String field) {
        if (absent(node) || (node.isTextual() && node.textValue().isBlank())) {
            invalid(field, REQUIRED);
            return null;
        }
        return text(node, field);
    }

    Integer status(JsonNode node, String field) {
        if (absent(node) || (node.isTextual() && node.textValue().isBlank())) {
            return null;
        }
        try {
            long status = LenientNumbers.integer(node);
            if (status < 100 || status > 599) {
                invalid(field, "must be an HTTP status between 100 and 599");
                return null;
            }
            return (int) status;
        } catch (IllegalArgumentException e) {
            invalid(field, e.getMessage());
            return null;
        }
    }

    /** A meter value, or null when absent. */
    Long meter(JsonNode node, String field) {
        if (absent(node)) {
            return null;
        }
        try {
            return LenientNumbers.nonNegativeInteger(node);
        } catch (IllegalArgumentException e) {
            invalid(field, e.getMessage());
            return null;
        }
    }

    Instant epochMillis(JsonNode node, String field) {
        if (absent(node)) {
            invalid(field, REQUIRED);
            return null;
        }
        try {
            return Instant.ofEpochMilli(LenientNumbers.epochMillis(node));
        } catch (IllegalArgumentException e) {
            invalid(field, e.getMessage());
            return null;
        }
    }

    /** An RFC 3339 time, or {@code fallback} when absent. */
    Instant rfc3339(JsonNode node, String field, Instant fallback) {
        if (absent(node)) {
            return fallback;
        }
        if (!node.isTextual()) {
            invalid(field, "must be an RFC 3339 timestamp");
            return null;
        }
        try {
            return OffsetDateTime.parse(node.textValue().trim(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant()
                    .truncatedTo(ChronoUnit.MILLIS);
        } catch (DateTimeParseException e) {
            invalid(field, "must be an RFC 3339 timestamp");
            return null;
        }
    }

    /** A {@code meters} object: names to non-negative integers; null when absent. */
    Map<String, Long> meters(JsonNode node, String field) {
        if (absent(node)) {
            return null;
        }
        if (!node.isObject()) {
            invalid(field, NOT_AN_OBJECT);
            return null;
        }
        Map<String, Long> meters = new LinkedHashMap<>();
        node.fields().forEachRemaining(entry -> {
            String path = field + "." + entry.getKey();
            if (!METER_NAME.matcher(entry.getKey()).matches()) {
                invalid(path, "meter names start with a letter and use letters, digits, '_', '.', '-' (at most 64)");
                return;
            }
            if (absent(entry.getValue())) {
                invalid(path, REQUIRED);
                return;
            }
            Long value = meter(entry.getValue(), path);
            if (value != null) {
                meters.put(entry.getKey(), value);
            }
        });
        if (node.isEmpty()) {
            invalid(field, "must name at least one meter");
        }
        return meters;
    }
}
