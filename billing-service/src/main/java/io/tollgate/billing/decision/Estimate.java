package io.tollgate.billing.decision;

import java.util.Arrays;
import java.util.Map;

/**
 * The usage a call declares before it runs ({@code X-Usage-Estimate: input_tokens=2000,output_tokens=500}):
 * units per meter. Every call is at least one request, so {@link #effective()} adds {@code requests=1} unless the
 * estimate names {@code requests} itself. Immutable; a handful of meters, kept in two parallel arrays.
 */
public final class Estimate {
    public static final String REQUESTS = "requests";
    public static final Estimate NONE = new Estimate(new String[0], new long[0]);
    /** The estimate of a call that declares nothing: one request. */
    public static final Estimate ONE_REQUEST = new Estimate(new String[] {REQUESTS}, new long[] {1});
    private static final int MAX_METERS = 32;

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
     *                                  count, a repeated meter or more than 32 meters
     */
    public static Estimate parseHeader(String header) {
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
                throw new IllegalArgumentException("expected meter=units, got '" + pair.trim() + "'");
            }
            String meter = pair.substring(0, eq).trim();
            m[n] = checkMeter(meter, m, n);
            u[n] = parseUnits(meter, pair.substring(eq + 1).trim());
            n++;
        }
        return n == 0 ? NONE : new Estimate(Arrays.copyOf(m, n), Arrays.copyOf(u, n));
    }

    /** From a JSON object's fields, already read as {@code meter -> units}. */
    public static Estimate of(Map<String, Long> unitsByMeter) {
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
            u[n] = e.getValue();
            n++;
        }
        return new Estimate(m, u);
    }

    private static String checkMeter(String meter, String[] seen, int count) {
        if (meter.isEmpty()) {
            throw new IllegalArgumentException("empty meter name");
        }
        for (int i = 0; i < count; i++) {
            if (seen[i].equals(meter)) {
                throw new IllegalArgumentException("meter " + meter + " named twice");
            }
        }
        return meter;
    }

    private static long parseUnits(String meter, String text) {
        try {
            long value = Long.parseLong(text);
            if (value < 0) {
                throw new IllegalArgumentException("units of " + meter + " must not be negative: " + text);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("units of " + meter + " must be a non-negative integer: '" + text + "'");
        }
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
