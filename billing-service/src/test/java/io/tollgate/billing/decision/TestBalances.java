package io.tollgate.billing.decision;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** Balances of the SPEC §7 plan "pro" for tests: requests 0.002 (1000 included), input 0.50/M, output 1.50/M (hard limit 5M). */
final class TestBalances {
    static final Instant AS_OF = Instant.parse("2026-11-21T10:00:00.250Z");
    static final long NOW = Instant.parse("2026-11-21T10:00:01Z").toEpochMilli();
    static final CurrentPeriods NOVEMBER = CurrentPeriods.at(NOW);

    private TestBalances() {
    }

    static Map<String, MeterPrice> proMeters() {
        Map<String, MeterPrice> meters = new HashMap<>();
        meters.put("requests", MeterPrice.newBuilder().setUnitPriceNanos(2_000_000).setPer(1).setIncluded(1000).setHardLimit(null).build());
        meters.put("input_tokens", MeterPrice.newBuilder().setUnitPriceNanos(500_000_000).setPer(1_000_000).setIncluded(0).setHardLimit(null).build());
        meters.put("output_tokens", MeterPrice.newBuilder().setUnitPriceNanos(1_500_000_000).setPer(1_000_000).setIncluded(0)
                .setHardLimit(5_000_000L).build());
        return meters;
    }

    /** Active prepaid consumer of plan pro with {@code remainingMicros} left and no usage this period. */
    static Balance.Builder prepaid(String consumer, long remainingMicros) {
        return Balance.newBuilder().setConsumer(consumer).setPlan("pro").setStatus("active").setBilling("prepaid")
                .setCurrency("USD").setPeriod("2026-11").setCreditsMicros(remainingMicros).setSpentMicros(0)
                .setRemainingMicros(remainingMicros).setSpendLimitMicros(null).setUsage(new HashMap<>())
                .setAmounts(new HashMap<>()).setMeters(proMeters()).setVersion(1).setLastEventTime(null).setUpdatedAt(AS_OF);
    }

    /** Active postpaid consumer of plan pro that spent {@code spentMicros} this period, with an optional limit. */
    static Balance.Builder postpaid(String consumer, long spentMicros, Long spendLimitMicros) {
        return prepaid(consumer, spendLimitMicros == null ? 0 : spendLimitMicros - spentMicros).setBilling("postpaid")
                .setCreditsMicros(0).setSpentMicros(spentMicros).setSpendLimitMicros(spendLimitMicros);
    }

    static Balance.Builder withUsage(Balance.Builder balance, String meter, long units) {
        Map<String, Long> usage = new HashMap<>(balance.getUsage());
        usage.put(meter, units);
        return balance.setUsage(usage);
    }

    /** Fixed admissions for rule tests. */
    record FixedAdmitted(long micros, Map<String, Long> unitsByMeter) implements Admitted {
        @Override
        public long units(String meter) {
            return unitsByMeter.getOrDefault(meter, 0L);
        }
    }
}
