package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Gateways write numbers as JSON numbers, numeric strings, or floats in exponent form (Lua cjson prints
 * 14 significant digits, so {@code 1.2e3} means 1200). Every number Tollgate reads from a gateway goes
 * through here. Failures throw {@link IllegalArgumentException} whose message is the reason a client sees.
 */
public final class LenientNumbers {
    public static final String NOT_A_NUMBER = "must be a number";
    public static final String NOT_INTEGRAL = "must be an integer";
    public static final String NEGATIVE = "must not be negative";
    public static final String TOO_LARGE = "too large";

    private LenientNumbers() {
    }

    /** A meter value: a non-negative integer in any of the accepted spellings. */
    public static long nonNegativeInteger(JsonNode node) {
        Long plain = plainLong(node);
        if (plain != null) {
            if (plain < 0) {
                throw new IllegalArgumentException(NEGATIVE);
            }
            return plain;
        }
        BigDecimal value = decimal(node);
        if (value.signum() < 0) {
            throw new IllegalArgumentException(NEGATIVE);
        }
        return exactLong(value);
    }

    /** An integer that may be negative (Kong's -1 latencies); fractions are refused. */
    public static long integer(JsonNode node) {
        Long plain = plainLong(node);
        return plain != null ? plain : exactLong(decimal(node));
    }

    /** Epoch milliseconds; a fractional part (APISIX {@code start_time}) is rounded half up. */
    public static long epochMillis(JsonNode node) {
        Long plain = plainLong(node);
        if (plain != null && plain > 0) {
            return plain;
        }
        BigDecimal value = decimal(node);
        if (value.signum() <= 0) {
            throw new IllegalArgumentException("must be a positive epoch time in milliseconds");
        }
        return exactLong(value.setScale(0, RoundingMode.HALF_UP));
    }

    /** The common case, without BigDecimal: a JSON integer or a string of decimal digits that fits a long; else null. */
    private static Long plainLong(JsonNode node) {
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? node.longValue() : null;
        }
        if (node.isTextual()) {
            String text = node.textValue();
            int length = text.length();
            if (length == 0 || length > 18) {
                return null;
            }
            int start = text.charAt(0) == '-' ? 1 : 0;
            if (start == length) {
                return null;
            }
            for (int i = start; i < length; i++) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') {
                    return null;
                }
            }
            return Long.parseLong(text);
        }
        return null;
    }

    private static long exactLong(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        if (stripped.scale() > 0) {
            throw new IllegalArgumentException(NOT_INTEGRAL);
        }
        try {
            return stripped.longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(TOO_LARGE);
        }
    }

    private static BigDecimal decimal(JsonNode node) {
        if (node.isNumber()) {
            if (node.isIntegralNumber()) {
                return new BigDecimal(node.bigIntegerValue());
            }
            if (node.isDouble() || node.isFloat()) {
                double d = node.doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    throw new IllegalArgumentException(NOT_A_NUMBER);
                }
            }
            return node.decimalValue();
        }
        if (node.isTextual()) {
            String text = node.textValue().trim();
            if (text.isEmpty() || text.length() > 64) {
                throw new IllegalArgumentException(NOT_A_NUMBER);
            }
            try {
                return new BigDecimal(text);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(NOT_A_NUMBER);
            }
        }
        throw new IllegalArgumentException(NOT_A_NUMBER);
    }
}
