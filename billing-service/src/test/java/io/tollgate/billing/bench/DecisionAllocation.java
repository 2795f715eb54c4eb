package io.tollgate.billing.bench;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.Estimate;
import io.tollgate.billing.decision.Freshness;
import io.tollgate.billing.decision.InMemoryBalances;
import io.tollgate.billing.decision.MicrosText;
import io.tollgate.schemas.money.Periods;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Bytes allocated and CPU nanoseconds (of this thread, so that a busy machine does not inflate them) per decision of the allow path without HTTP (read model, admissions, rules and
 * the balance header text), over 10,000 funded consumers, measured with the JVM's per-thread allocation counter.
 * {@code java -cp ... io.tollgate.billing.bench.DecisionAllocation}
 */
public final class DecisionAllocation {
    private DecisionAllocation() {
    }

    public static void main(String[] args) {
        int consumers = 10_000;
        long now = System.currentTimeMillis();
        Map<String, MeterPrice> meters = new HashMap<>();
        meters.put("requests", MeterPrice.newBuilder().setUnitPriceNanos(2_000_000).setPer(1).setIncluded(1000).setHardLimit(null).build());
        meters.put("input_tokens", MeterPrice.newBuilder().setUnitPriceNanos(500_000_000).setPer(1_000_000).setIncluded(0).setHardLimit(null).build());
        InMemoryBalances balances = new InMemoryBalances();
        String[] ids = new String[consumers];
        for (int i = 0; i < consumers; i++) {
            ids[i] = "c" + i;
            Map<String, Long> usage = new HashMap<>();
            usage.put("requests", 5_000L);
            balances.put(Balance.newBuilder().setConsumer(ids[i]).setPlan("pro").setStatus("active").setBilling("prepaid")
                    .setCurrency("USD").setPeriod(Periods.periodOf(Periods.MONTH, now)).setCreditsMicros(1_000_000_000_000L)
                    .setSpentMicros(0).setRemainingMicros(1_000_000_000_000L).setSpendLimitMicros(null).setUsage(usage)
                    .setAmounts(Map.of()).setMeters(meters).setVersion(1).setLastEventTime(null).setUpdatedAt(Instant.ofEpochMilli(now)).build());
        }
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH, new DecisionService.Settings(false, false, 1_000),
                System::currentTimeMillis);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int round = 0; round < 5; round++) {
            int n = 2_000_000;
            long bytesBefore = threads.getCurrentThreadAllocatedBytes();
            long cpuBefore = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                DecisionService.Outcome outcome = service.decide(ids[i % consumers], Estimate.NONE);
                sink += MicrosText.format(outcome.decision().remainingMicros()).length();
            }
            long cpuNanos = threads.getCurrentThreadCpuTime() - cpuBefore;
            long bytes = threads.getCurrentThreadAllocatedBytes() - bytesBefore;
            System.out.printf("round %d: %.0f bytes allocated and %.0f ns of CPU per decision%n", round, bytes / (double) n, cpuNanos / (double) n);
        }
        System.out.println("(checksum " + sink + ")");
    }
}
