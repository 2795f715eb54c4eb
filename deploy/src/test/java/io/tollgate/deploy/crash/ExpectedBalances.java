package io.tollgate.deploy.crash;

import io.tollgate.deploy.pipeline.PlanMeter;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What every consumer's balance must say, computed here from the distinct calls sent and the plan's prices, in
 * {@link BigDecimal} and without any Tollgate code ({@link PlanMeter#chargeMicros}): per meter, billable = units beyond
 * the included ones, charge = billable x unitPrice / per rounded half-up to the micro-unit once per period total; spent is the sum of the meters'
 * charges, remaining = credits - spent.
 */
final class ExpectedBalances {
    record Expected(String consumer, Map<String, Long> usage, long creditsMicros, long spentMicros) {
        long remainingMicros() {
            return creditsMicros - spentMicros;
        }
    }

    private ExpectedBalances() {
    }

    /** Per consumer with at least one call; {@code calls} must be distinct (each id once) and in one billing period. */
    static Map<String, Expected> of(Collection<CrashTraffic.Call> calls, Map<String, PlanMeter> plan, Map<String, Long> creditsMicros) {
        Map<String, Map<String, Long>> usage = new TreeMap<>();
        for (CrashTraffic.Call call : calls) {
            call.meters().forEach((meter, units) -> usage.computeIfAbsent(call.consumer(), c -> new TreeMap<>()).merge(meter, units, Long::sum));
        }
        Map<String, Expected> expected = new LinkedHashMap<>();
        usage.forEach((consumer, units) -> {
            long spent = 0;
            for (Map.Entry<String, Long> meter : units.entrySet()) {
                PlanMeter price = plan.get(meter.getKey());
                spent += price == null ? 0 : price.chargeMicros(meter.getValue());
            }
            expected.put(consumer, new Expected(consumer, Map.copyOf(units), creditsMicros.getOrDefault(consumer, 0L), spent));
        });
        return expected;
    }
}
