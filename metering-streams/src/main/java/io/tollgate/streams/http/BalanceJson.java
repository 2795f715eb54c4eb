package io.tollgate.streams.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;

import java.util.Map;
import java.util.TreeMap;

/** JSON of a {@link Balance}: the Avro field names, money in micro-units, times as ISO-8601 UTC strings. */
public final class BalanceJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BalanceJson() {
    }

    public static ObjectNode of(Balance balance) {
        ObjectNode node = JSON.createObjectNode();
        node.put("consumer", balance.getConsumer());
        node.put("plan", balance.getPlan());
        node.put("status", balance.getStatus());
        node.put("billing", balance.getBilling());
        node.put("currency", balance.getCurrency());
        node.put("period", balance.getPeriod());
        node.put("creditsMicros", balance.getCreditsMicros());
        node.put("spentMicros", balance.getSpentMicros());
        node.put("remainingMicros", balance.getRemainingMicros());
        node.put("spendLimitMicros", balance.getSpendLimitMicros());
        ObjectNode usage = node.putObject("usage");
        new TreeMap<>(balance.getUsage()).forEach(usage::put);
        ObjectNode amounts = node.putObject("amounts");
        new TreeMap<>(balance.getAmounts()).forEach(amounts::put);
        ObjectNode meters = node.putObject("meters");
        for (Map.Entry<String, MeterPrice> meter : new TreeMap<>(balance.getMeters()).entrySet()) {
            ObjectNode price = meters.putObject(meter.getKey());
            price.put("unitPriceNanos", meter.getValue().getUnitPriceNanos());
            price.put("per", meter.getValue().getPer());
            price.put("included", meter.getValue().getIncluded());
            price.put("hardLimit", meter.getValue().getHardLimit());
        }
        node.put("version", balance.getVersion());
        node.put("lastEventTime", balance.getLastEventTime() == null ? null : balance.getLastEventTime().toString());
        node.put("updatedAt", balance.getUpdatedAt().toString());
        return node;
    }
}
