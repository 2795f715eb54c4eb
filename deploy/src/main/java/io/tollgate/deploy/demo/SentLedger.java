package io.tollgate.deploy.demo;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the demo sent, and so what Tollgate must count: every call once, however many times and through however
 * many paths it was delivered, and nothing for responses the gateway generated itself.
 */
final class SentLedger {
    private final Set<String> seenCallIds = new HashSet<>();
    private final Map<String, Tally> tallies = new TreeMap<>();

    /** Per consumer: deliveries of calls, repeats among them, calls answered by the gateway, units per meter. */
    static final class Tally {
        long delivered;
        long duplicates;
        long gatewayGenerated;
        final Map<String, Long> units = new LinkedHashMap<>();

        long delivered() {
            return delivered;
        }

        long duplicates() {
            return duplicates;
        }

        long gatewayGenerated() {
            return gatewayGenerated;
        }

        long units(String meter) {
            return units.getOrDefault(meter, 0L);
        }
    }

    void record(List<GatewayCall> calls) {
        for (GatewayCall call : calls) {
            Tally tally = tallies.computeIfAbsent(call.consumer(), c -> new Tally());
            tally.delivered++;
            if (!seenCallIds.add(call.id())) {
                tally.duplicates++;
            } else if (call.gatewayGenerated()) {
                tally.gatewayGenerated++;
            } else {
                call.billedMeters().forEach((meter, units) -> tally.units.merge(meter, units, Long::sum));
            }
        }
    }

    Tally tally(String consumer) {
        return tallies.getOrDefault(consumer, new Tally());
    }

    /** Units per meter that the consumer's usage must show, e.g. {requests=358, input_tokens=0}. */
    Map<String, Long> expectedUnits(String consumer) {
        return Map.copyOf(tally(consumer).units);
    }

    long delivered() {
        return tallies.values().stream().mapToLong(Tally::delivered).sum();
    }

    long duplicates() {
        return tallies.values().stream().mapToLong(Tally::duplicates).sum();
    }

    long gatewayGenerated() {
        return tallies.values().stream().mapToLong(Tally::gatewayGenerated).sum();
    }

    long billableCalls() {
        return delivered() - duplicates() - gatewayGenerated();
    }
}
