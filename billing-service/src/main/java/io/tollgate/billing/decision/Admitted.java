package io.tollgate.billing.decision;

/** What this instance has admitted for one consumer that its latest balance does not cover yet. */
public interface Admitted {
    Admitted NOTHING = new Admitted() {
        @Override
        public long micros() {
            return 0;
        }

        @Override
        public long units(String meter) {
            return 0;
        }
    };

    /** Estimated charge of the admitted calls, micro-units. */
    long micros();

    /** Estimated units of {@code meter} of the admitted calls. */
    long units(String meter);
}
