package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.schemas.money.Money;

import java.util.Map;

/**
 * Whether one call may run, from a consumer's {@link Balance}, the call's estimate and what this instance has
 * already admitted since that balance. Pure: no clock, no I/O.
 *
 * <p>In order: a subscription that is not {@code active} is {@code subscription_inactive}; a meter whose period
 * usage (balance + admitted + this call) would pass its hard limit is {@code quota_exceeded}; then the call's cost
 * is priced on the period totals before and after it ({@code Money.charge} of the billable units, so included units
 * and the one rounding rule apply exactly as in billing), and a prepaid consumer with nothing left, or less than
 * that cost, is {@code insufficient_credits}; a postpaid consumer with a spend limit in the same position is
 * {@code spend_limit_reached}. A postpaid consumer without a limit is never denied for money.
 *
 * <p>A balance of a period that has ended counts no usage and, for postpaid, no spend: the new period starts empty
 * until the first event of it reaches the balance.
 */
public final class DecisionRules {
    public static final String ACTIVE = "active";
    public static final String POSTPAID = "postpaid";

    private DecisionRules() {
    }

    public static Decision decide(Balance balance, Estimate estimate, Admitted admitted, CurrentPeriods now) {
        boolean periodEnded = now.hasEnded(balance.getPeriod());
        boolean postpaid = POSTPAID.equals(balance.getBilling());
        Long spendLimit = balance.getSpendLimitMicros();
        long available;
        if (postpaid) {
            long spent = periodEnded ? 0 : balance.getSpentMicros();
            available = spendLimit == null ? balance.getRemainingMicros() : spendLimit - spent - admitted.micros();
        } else {
            available = balance.getRemainingMicros() - admitted.micros();
        }

        if (!ACTIVE.equals(balance.getStatus())) {
            return Decision.deny(Reason.SUBSCRIPTION_INACTIVE, available,
                    "The subscription of " + balance.getConsumer() + " is " + balance.getStatus() + ".");
        }

        Estimate call = estimate.effective();
        Map<String, Long> usage = balance.getUsage();
        long cost = 0;
        for (Map.Entry<String, MeterPrice> entry : balance.getMeters().entrySet()) {
            String meter = entry.getKey();
            MeterPrice price = entry.getValue();
            long units = call.units(meter);
            long used = (periodEnded ? 0 : usedOf(usage, meter)) + admitted.units(meter);
            Long hardLimit = price.getHardLimit();
            if (hardLimit != null && used + units > hardLimit) {
                return Decision.deny(Reason.QUOTA_EXCEEDED, available, "Meter " + meter + " has used " + used
                        + " of its " + hardLimit + " units this period" + (units > 0 ? " and this call declares " + units + "." : "."));
            }
            if (units > 0) {
                cost += FastCharge.charge(Money.billable(used + units, price.getIncluded()), price.getUnitPriceNanos(), price.getPer())
                        - FastCharge.charge(Money.billable(used, price.getIncluded()), price.getUnitPriceNanos(), price.getPer());
            }
        }

        if (postpaid && spendLimit == null) {
            return Decision.allow(available, cost);
        }
        if (available <= 0 || cost > available) {
            Reason reason = postpaid ? Reason.SPEND_LIMIT_REACHED : Reason.INSUFFICIENT_CREDITS;
            String currency = balance.getCurrency();
            String detail = available <= 0
                    ? (postpaid ? "The spend limit of this period is reached." : "No credits remain.")
                    : "This call is estimated at " + Money.formatMicros(cost) + " " + currency + " but only "
                    + Money.formatMicros(available) + " " + currency + " remain" + (postpaid ? " under the spend limit." : ".");
            return Decision.deny(reason, available, detail);
        }
        return Decision.allow(available - cost, cost);
    }

    private static long usedOf(Map<String, Long> usage, String meter) {
        Long used = usage.get(meter);
        return used == null ? 0 : used;
    }
}
