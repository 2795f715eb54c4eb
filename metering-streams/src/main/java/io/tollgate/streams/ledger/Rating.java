package io.tollgate.streams.ledger;

import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.schemas.money.Money;

/**
 * The price of a period's usage of one meter under one plan: units beyond the included ones, at the unit
 * price per {@code per} units, rounded once (see {@link Money#charge}). No plan, or a meter the plan does
 * not price, costs 0.
 */
public final class Rating {
    private Rating() {
    }

    public static long periodCharge(PlanDefined plan, String meter, long periodUnits) {
        if (plan == null) {
            return 0;
        }
        MeterPrice price = plan.getMeters().get(meter);
        if (price == null) {
            return 0;
        }
        return Money.charge(Money.billable(periodUnits, price.getIncluded()), price.getUnitPriceNanos(), price.getPer());
    }
}
