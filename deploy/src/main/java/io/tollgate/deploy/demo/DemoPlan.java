package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.schemas.money.Money;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code pro} plan of SPEC §7, and the demo's own price calculation from it, so that the invoices Tollgate
 * produces can be checked against an independent computation (same rounding rule: once per meter and period).
 */
final class DemoPlan {
    static final String ID = "pro";
    static final String CURRENCY = "USD";

    record MeterPrice(String unitPrice, long per, long included, Long hardLimit) {
        long chargeMicros(long units) {
            return Money.charge(Money.billable(units, included), Money.parseNanos(unitPrice), per);
        }
    }

    static final Map<String, MeterPrice> METERS = meters();

    private DemoPlan() {
    }

    private static Map<String, MeterPrice> meters() {
        Map<String, MeterPrice> meters = new LinkedHashMap<>();
        meters.put(GatewayCall.REQUESTS, new MeterPrice("0.002", 1, 1000, null));
        meters.put(GatewayCall.INPUT_TOKENS, new MeterPrice("0.50", 1_000_000, 0, null));
        meters.put(GatewayCall.OUTPUT_TOKENS, new MeterPrice("1.50", 1_000_000, 0, 5_000_000L));
        return Collections.unmodifiableMap(meters);
    }

    static ObjectNode body(ObjectMapper json) {
        ObjectNode plan = json.createObjectNode();
        plan.put("currency", CURRENCY);
        plan.put("period", "month");
        ObjectNode meters = plan.putObject("meters");
        METERS.forEach((meter, price) -> {
            ObjectNode node = meters.putObject(meter);
            node.put("unitPrice", price.unitPrice());
            node.put("per", price.per());
            if (price.included() > 0) {
                node.put("included", price.included());
            }
            if (price.hardLimit() != null) {
                node.put("hardLimit", price.hardLimit());
            }
        });
        return plan;
    }

    /** Charge of a period in micro-units, from the period's totals per meter. */
    static long chargeMicros(Map<String, Long> units) {
        long total = 0;
        for (Map.Entry<String, MeterPrice> meter : METERS.entrySet()) {
            total += meter.getValue().chargeMicros(units.getOrDefault(meter.getKey(), 0L));
        }
        return total;
    }
}
