package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.schemas.money.Money;

import java.util.Map;

/**
 * Whether one call may run, from a consumer's {@link Balance}, the call's estimate and what this instance has
 * already admitted since that balance. Pure: no clock, no I/O.
 *
 * <p>In order: a balance without an account ({@code status} {@code unknown}: usage arrived before, or without,
 * {@code PUT /v1/consumers}) is {@code unknown_consumer} (403), as for a consumer without any balance; a subscription
 * that is not {@code active} is {@code subscription_inactive}; a meter whose period
 * usage (balance + admitted + this call) would pass its hard limit is {@code quota_exceeded}; then the call's cost
 * is priced on the period totals before and after it ({@code Money.charge} of the billable units, so included units
 * and the one rounding rule apply exactly as in billing), and a prepaid consumer with nothing left, or less than
 * that cost, is {@code insufficient_credits}; a postpaid consumer with a spend limit in the same position is
 * {@code spend_limit_reached}. A postpaid consumer without a limit is never denied for money.
 *
 * <p>A balance of a period that has ended counts no usage and, for postpaid, no spend: the new period starts empty
 * until the first event of it reaches the balance.
 *
 * <p>Every sum of units and micro-units is {@link Saturating saturating}: an estimate or a price so large that the
 * cost leaves the range of a {@code long} costs "more than any balance" (denied unless postpaid without a limit),
 * never a wrapped negative amount, and never an exception.
 */
public final class DecisionRules {
    public static final String ACTIVE = "active";
    public static final String POSTPAID = "postpaid";
    /** The status of a balance whose consumer has no account (metering-streams' {@code Ledgers.STATUS_UNKNOWN}). */
    public static final String UNKNOWN = "unknown";

    private DecisionRules() {
    }

    /** Whether {@code balance} belongs to a consumer without an account: usage was metered, nobody defined it. */
    public static boolean isUnknown(Balance balance) {
        return UNKNOWN.equals(balance.getStatus());
    }

    public static Decision decide(Balance balance, Estimate estimate, Admitted admitted, CurrentPeriods now) {
        if (isUnknown(balance)) {
            return Decision.deny(Reason.UNKNOWN_CONSUMER, 0, unknownDetail(balance.getConsumer()));
        }
        boolean periodEnded = now.hasEnded(balance.getPeriod());
        boolean postpaid = POSTPAID.equals(balance.getBilling());
        Long spendLimit = balance.getSpendLimitMicros();
        long available;
        if (postpaid) {
            long spent = periodEnded ? 0 : balance.getSpentMicros();
            available = spendLimit == null ? balance.getRemainingMicros()
                    : Saturating.subtract(Saturating.subtract(spendLimit, spent), admitted.micros());
        } else {
            available = Saturating.subtract(balance.getRemainingMicros(), admitted.micros());
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
            long used = Saturating.add(periodEnded ? 0 : usedOf(usage, meter), admitted.units(meter));
            long after = Saturating.add(used, units);
            Long hardLimit = price.getHardLimit();
            if (hardLimit != null && after > hardLimit) {
                return Decision.deny(Reason.QUOTA_EXCEEDED, available, "Meter " + meter + " has used " + used
                        + " of its " + hardLimit + " units this period" + (units > 0 ? " and this call declares " + units + "." : "."));
            }
            if (units > 0) {
                long chargeAfter = FastCharge.charge(Money.billable(after, price.getIncluded()), price.getUnitPriceNanos(), price.getPer());
                long chargeBefore = FastCharge.charge(Money.billable(used, price.getIncluded()), price.getUnitPriceNanos(), price.getPer());
                cost = Saturating.add(cost, chargeAfter == FastCharge.BEYOND_ANY_BALANCE ? chargeAfter : chargeAfter - chargeBefore);
            }
        }

        if (postpaid && spendLimit == null) {
            return Decision.allow(available, cost);
        }
        if (available <= 0 || cost > available) {
            Reason reason = postpaid ? Reason.SPEND_LIMIT_REACHED : Reason.INSUFFICIENT_CREDITS;
            String currency = balance.getCurrency();
            String left = Money.formatMicros(available) + " " + currency + " remain" + (postpaid ? " under the spend limit." : ".");
            String detail;
            if (available <= 0) {
                detail = postpaid ? "The spend limit of this period is reached." : "No credits remain.";
            } else if (cost == FastCharge.BEYOND_ANY_BALANCE) {
                detail = "This call is estimated at more than any balance can hold; only " + left;
            } else {
                detail = "This call is estimated at " + Money.formatMicros(cost) + " " + currency + " but only " + left;
            }
            return Decision.deny(reason, available, detail);
        }
        return Decision.allow(available - cost, cost);
    }

    /** The detail of a {@code unknown_consumer} deny. */
    public static String unknownDetail(String consumer) {
        return "No account is known for consumer " + consumer + ".";
    }

    private static long usedOf(Map<String, Long> usage, String meter) {
        Long used = usage.get(meter);
        return used == null ? 0 : used;
    }
}
