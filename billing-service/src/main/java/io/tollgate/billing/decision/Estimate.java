package io.tollgate.billing.decision;

import io.tollgate.runtime.LogSafe;

import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The usage a call declares before it runs ({@code X-Usage-Estimate: input_tokens=2000,output_tokens=500}):
 * units per meter. Every call is at least one request, so {@link #effective()} adds {@code requests=1} unless the
 * estimate names {@code requests} itself. Immutable; a handful of meters, kept in two parallel arrays.
 *
 * <p>Units per meter are bounded ({@code tollgate.decision.estimate.max.units}, default {@value #DEFAULT_MAX_UNITS}), so
 * that a client cannot make a decision's arithmetic leave the range of a {@code long}; error messages name the meter
 * and never repeat client text unescaped.
 */
public final class Estimate {
    public static final String REQUESTS = "requests";
    public static final Estimate NONE = new Estimate(new String[0], new long[0]);
    /** The estimate of a call that declares nothing: one request. */
    public static final Estimate ONE_REQUEST = new Estimate(new String[] {REQUESTS}, new long[] {1});
    /** 10^12 units of one meter in one call: far beyond any real call, far below where a {@code long} overflows. */
    public static final long DEFAULT_MAX_UNITS = 1_000_000_000_000L;
    private static final int MAX_METERS = 32;
    /** The names plans may give meters (accounts API) and usage events may carry (ingest). */
    private static final Pattern METER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");

    private final String[] meters;
    private final long[] units;

    private Estimate(String[] meters, long[] units) {
        this.meters = meters;
        this.units = units;
    }

    public int size() {
        return meters.length;
    }

    public String meter(int i) {
        return meters[i];
    }

    public long units(int i) {
        return units[i];
    }

    /** Units declared for {@code meter}, 0 when not named. */
    public long units(String meter) {
        for (int i = 0; i < meters.length; i++) {
            if (meters[i].equals(meter)) {
                return units[i];
            }
        }
        return 0;
    }

    public boolean names(String meter) {
        for (String m : meters) {
            if (m.equals(meter)) {
                return true;
            }
        }
        return false;
    }

    /** This estimate plus {@code requests=1} when it does not name {@code requests}. */
    public Estimate effective() {
        if (meters.length == 0) {
            return ONE_REQUEST;
        }
        if (names(REQUESTS)) {
            return this;
        }
        String[] m = Arrays.copyOf(meters, meters.length + 1);
        long[] u = Arrays.copyOf(units, units.length + 1);
        m[meters.length] = REQUESTS;
        u[meters.length] = 1;
        return new Estimate(m, u);
    }

    /**
     * Parses {@code meter=units} pairs separated by commas; blank or null is {@link #NONE}.
     *
     * @throws IllegalArgumentException naming the bad pair, for a missing {@code =}, a negative or non-integer
     *                                  count, a count above {@code maxUnits}, a bad or repeated meter name or more
     *                                  than 32 meters
     */
    public static Estimate parseHeader(String header, long maxUnits) {
        if (header == null || header.isBlank()) {
            return NONE;
        }
        String[] pairs = header.split(",");
        if (pairs.length > MAX_METERS) {
            throw new IllegalArgumentException("more than " + MAX_METERS + " meters");
        }
        String[] m = new String[pairs.length];
        long[] u = new long[pairs.length];
        int n = 0;
        for (String pair : pairs) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected meter=units, got " + LogSafe.quote(pair.trim()));
            }
            String meter = pair.substring(0, eq).trim();
            m[n] = checkMeter(meter, m, n);
            u[n] = parseUnits(meter, pair.substring(eq + 1).trim(), maxUnits);
            n++;
        }
        return n == 0 ? NONE : new Estimate(Arrays.copyOf(m, n), Arrays.copyOf(u, n));
    }

    /** {@link #parseHeader(String, long)} with the default bound. */
    public static Estimate parseHeader(String header) {
        return parseHeader(header, DEFAULT_MAX_UNITS);
    }

    /** From a JSON object's fields, already read as {@code meter -> units}, each at most {@code maxUnits}. */
    public static Estimate of(Map<String, Long> unitsByMeter, long maxUnits) {
        if (unitsByMeter.isEmpty()) {
            return NONE;
        }
        if (unitsByMeter.size() > MAX_METERS) {
            throw new IllegalArgumentException("more than " + MAX_METERS + " meters");
        }
        String[] m = new String[unitsByMeter.size()];
        long[] u = new long[m.length];
        int n = 0;
        for (Map.Entry<String, Long> e : unitsByMeter.entrySet()) {
            m[n] = checkMeter(e.getKey(), m, n);
            if (e.getValue() == null || e.getValue() < 0) {
                throw new IllegalArgumentException("units of " + e.getKey() + " must be a non-negative integer");
            }
            if (e.getValue() > maxUnits) {
                throw tooMany(e.getKey(), maxUnits, Long.toString(e.getValue()));
            }
            u[n] = e.getValue();
            n++;
        }
        return new Estimate(m, u);
    }

    /** {@link #of(Map, long)} with the default bound. */
    public static Estimate of(Map<String, Long> unitsByMeter) {
        return of(unitsByMeter, DEFAULT_MAX_UNITS);
    }

    /** The error for a count above the bound; {@code digits} is the count as sent (digits only). */
    public static IllegalArgumentException tooMany(String meter, long maxUnits, String digits) {
        return new IllegalArgumentException("units of " + meter + " must be at most " + maxUnits
                + (digits.length() <= 20 ? ", not " + digits : ""));
    }

    /** {@code meter} when it is a meter name, else an error that shows it escaped. */
    static String requireMeterName(String meter) {
        if (meter.isEmpty()) {
            throw new IllegalArgumentException("empty meter name");
        }
        if (!METER.matcher(meter).matches()) {
            throw new IllegalArgumentException("meter names are 1 to 64 letters, digits, '_', '.', ':' or '-', not "
                    + LogSafe.quote(meter));
        }
        return meter;
    }

    private static String checkMeter(String meter, String[] seen, int count) {
        requireMeterName(meter);
        for (int i = 0; i < count; i++) {
            if (seen[i].equals(meter)) {
                throw new IllegalArgumentException("meter " + meter + " named twice");
            }
        }
        return meter;
    }

    private static long parseUnits(String meter, String text, long maxUnits) {
        boolean negative = text.startsWith("-");
        String digits = negative || text.startsWith("+") ? text.substring(1) : text;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("units of " + meter + " must be a non-negative integer: " + LogSafe.quote(text));
        }
        if (negative) {
            throw new IllegalArgumentException("units of " + meter + " must not be negative: " + LogSafe.quote(text));
        }
        String significant = digits.replaceFirst("^0+(?=.)", "");
        long units;
        try {
            units = Long.parseLong(significant);
        } catch (NumberFormatException beyondLong) {
            throw tooMany(meter, maxUnits, significant);
        }
        if (units > maxUnits) {
            throw tooMany(meter, maxUnits, significant);
        }
        return units;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < meters.length; i++) {
            sb.append(i == 0 ? "" : ",").append(meters[i]).append('=').append(units[i]);
        }
        return sb.toString();
    }
}
