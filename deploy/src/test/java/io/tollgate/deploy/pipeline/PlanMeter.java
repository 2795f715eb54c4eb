package io.tollgate.deploy.pipeline;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * A plan's price of one meter as a test writes it to {@code PUT /v1/plans/{id}}, and the charge of a period's total
 * computed from it in {@link BigDecimal} without any Tollgate code: billable = units beyond the included ones,
 * charge = billable x unitPrice / per, rounded half-up to the micro-unit once.
 */
public record PlanMeter(String unitPrice, long per, long included) {
    public BigDecimal charge(long units) {
        BigDecimal billable = BigDecimal.valueOf(Math.max(0, units - included));
        return billable.multiply(new BigDecimal(unitPrice)).divide(BigDecimal.valueOf(per), 6, RoundingMode.HALF_UP);
    }

    public long chargeMicros(long units) {
        return charge(units).movePointRight(6).longValueExact();
    }
}
