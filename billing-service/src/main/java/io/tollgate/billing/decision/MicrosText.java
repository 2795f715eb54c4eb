package io.tollgate.billing.decision;

/**
 * {@code Money.formatMicros} without {@code BigDecimal}: the same text (at least 2, at most 6 decimals), built
 * with one small char array, because every allowed call sends its remaining balance in a header.
 */
public final class MicrosText {
    private MicrosText() {
    }

    public static String format(long micros) {
        if (micros == Long.MIN_VALUE) {
            return io.tollgate.schemas.money.Money.formatMicros(micros);
        }
        boolean negative = micros < 0;
        long abs = Math.abs(micros);
        long whole = abs / 1_000_000L;
        int fraction = (int) (abs % 1_000_000L);
        int decimals = 6;
        while (decimals > 2 && fraction % 10 == 0) {
            fraction /= 10;
            decimals--;
        }
        char[] out = new char[20 + 1 + 1 + decimals];
        int pos = out.length;
        for (int i = 0; i < decimals; i++) {
            out[--pos] = (char) ('0' + fraction % 10);
            fraction /= 10;
        }
        out[--pos] = '.';
        do {
            out[--pos] = (char) ('0' + whole % 10);
            whole /= 10;
        } while (whole > 0);
        if (negative) {
            out[--pos] = '-';
        }
        return new String(out, pos, out.length - pos);
    }
}
