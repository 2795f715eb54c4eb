package io.tollgate.schemas.money;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.regex.Pattern;

/**
 * Money inside Tollgate is a {@code long} of micro-units (1e-6 of the currency); unit prices are
 * {@code long} nano-units (1e-9) so that per-token prices stay exact. Decimal strings appear only at
 * the API edge.
 *
 * <p>The one rounding rule: a charge is computed from a period total, as
 * {@code billable x unitPriceNanos / (per x 1000)} micro-units, rounded half-up to a whole micro-unit,
 * once per consumer, meter and period. Per-event amounts are never rounded and added up.
 */
public final class Money {
    public static final long MICROS_PER_UNIT = 1_000_000L;
    public static final long NANOS_PER_UNIT = 1_000_000_000L;
    private static final int MICRO_SCALE = 6;
    private static final int NANO_SCALE = 9;
    /** ASCII digits only: BigDecimal alone would also accept other scripts' digits ("١٢" is 12). */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");
    /** Longer than any long with 9 decimals and some trailing zeros; BigDecimal parsing is quadratic in the length. */
    private static final int MAX_LENGTH = 64;

    private Money() {
    }

    /** Charge in micro-units for {@code billable} units at {@code unitPriceNanos} per {@code per} units. */
    public static long charge(long billable, long unitPriceNanos, long per) {
        if (billable < 0 || unitPriceNanos < 0 || per <= 0) {
            throw new IllegalArgumentException("billable and price must be >= 0 and per > 0");
        }
        if (billable == 0 || unitPriceNanos == 0) {
            return 0;
        }
        BigInteger numerator = BigInteger.valueOf(billable).multiply(BigInteger.valueOf(unitPriceNanos));
        BigInteger denominator = BigInteger.valueOf(per).multiply(BigInteger.valueOf(1000));
        BigInteger[] qr = numerator.divideAndRemainder(denominator);
        BigInteger result = qr[0];
        if (qr[1].shiftLeft(1).compareTo(denominator) >= 0) {
            result = result.add(BigInteger.ONE);
        }
        return result.longValueExact();
    }

    /** Units beyond the included ones. */
    public static long billable(long units, long included) {
        return Math.max(0, units - Math.max(0, included));
    }

    /** Parses a decimal string ("25.00", "0.002") to micro-units; rejects negatives, more than 6 decimals and non-ASCII digits. */
    public static long parseMicros(String text) {
        return parseScaled(text, MICRO_SCALE);
    }

    /** Parses a unit price ("0.50", "0.0000025") to nano-units; rejects more than 9 decimals. */
    public static long parseNanos(String text) {
        return parseScaled(text, NANO_SCALE);
    }

    private static long parseScaled(String text, int scale) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("must be a decimal string");
        }
        String trimmed = text.trim();
        if (trimmed.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("too long for an amount: " + trimmed.length() + " characters");
        }
        if (!DECIMAL.matcher(trimmed).matches()) {
            throw new IllegalArgumentException("not a decimal number: " + text);
        }
        BigDecimal value;
        try {
            value = new BigDecimal(trimmed);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a decimal number: " + text);
        }
        if (value.signum() < 0) {
            throw new IllegalArgumentException("must not be negative: " + text);
        }
        if (value.stripTrailingZeros().scale() > scale) {
            throw new IllegalArgumentException("more than " + scale + " decimal places: " + text);
        }
        try {
            return value.movePointRight(scale).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("too large: " + text);
        }
    }

    /** Formats micro-units as a decimal string with at least 2 and at most 6 decimals: 1200000 -> "1.20", 3500 -> "0.0035". */
    public static String formatMicros(long micros) {
        return format(micros, MICRO_SCALE);
    }

    /** Formats nano-units as a decimal string with at least 2 decimals: 500000000 -> "0.50". */
    public static String formatNanos(long nanos) {
        return format(nanos, NANO_SCALE);
    }

    private static String format(long scaled, int scale) {
        BigDecimal value = BigDecimal.valueOf(scaled, scale).stripTrailingZeros();
        if (value.scale() < 2) {
            value = value.setScale(2, RoundingMode.UNNECESSARY);
        }
        return value.toPlainString();
    }
}
