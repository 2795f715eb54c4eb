package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The settlement rule Tollgate used before {@code Balance.eventsCounted}, kept only so that {@link OvershootSimulation}
 * can show what it cost: each admission is tagged with its time, and a balance settles every admission made before its
 * {@code lastEventTime} (else {@code updatedAt}), the time of whatever it processed last: a usage event, a top-up or a
 * plan change. Pending cost is the sum of the costs estimated at admission.
 */
final class EventTimeAdmissions implements Admitted {
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final Map<String, Long> unitsByMeter = new HashMap<>();
    private long micros;

    private record Entry(long admittedAtMillis, long micros, Estimate estimate) {
    }

    @Override
    public long micros() {
        return micros;
    }

    @Override
    public long units(String meter) {
        return unitsByMeter.getOrDefault(meter, 0L);
    }

    /** One decision as the old DecisionService made it: settle by time, decide, record when allowed. */
    boolean decide(Balance balance, Estimate estimate, long nowMillis, CurrentPeriods periods) {
        long coveredUpTo = balance.getLastEventTime() != null ? balance.getLastEventTime().toEpochMilli()
                : balance.getUpdatedAt().toEpochMilli();
        Entry head;
        while ((head = entries.peekFirst()) != null && head.admittedAtMillis < coveredUpTo) {
            entries.pollFirst();
            micros -= head.micros;
            for (int i = 0; i < head.estimate.size(); i++) {
                unitsByMeter.merge(head.estimate.meter(i), -head.estimate.units(i), Long::sum);
            }
        }
        Decision decision = DecisionRules.decide(balance, estimate, this, periods);
        if (decision.allowed()) {
            Estimate effective = estimate.effective();
            entries.addLast(new Entry(nowMillis, decision.costMicros(), effective));
            micros += decision.costMicros();
            for (int i = 0; i < effective.size(); i++) {
                unitsByMeter.merge(effective.meter(i), effective.units(i), Long::sum);
            }
        }
        return decision.allowed();
    }
}
