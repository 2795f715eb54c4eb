package io.tollgate.billing.accounts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.schemas.money.Money;

import java.util.Map;
import java.util.TreeMap;

/** The JSON shapes of SPEC §7 for stored resources and balances. Money is a decimal string everywhere. */
public final class AccountJson {
    public static final ObjectMapper JSON = new ObjectMapper();

    private AccountJson() {
    }

    public static ObjectNode plan(AccountsState.StoredPlan stored) {
        PlanDefined plan = stored.plan();
        ObjectNode node = JSON.createObjectNode();
        node.put("id", plan.getPlan());
        node.put("currency", plan.getCurrency());
        node.put("period", plan.getPeriod());
        ObjectNode meters = node.putObject("meters");
        new TreeMap<>(plan.getMeters()).forEach((name, price) -> meters.set(name, meterPrice(price)));
        node.put("updatedAt", stored.definedAt().toString());
        return node;
    }

    public static ObjectNode meterPrice(MeterPrice price) {
        ObjectNode node = JSON.createObjectNode();
        node.put("unitPrice", Money.formatNanos(price.getUnitPriceNanos()));
        node.put("per", price.getPer());
        node.put("included", price.getIncluded());
        if (price.getHardLimit() != null) {
            node.put("hardLimit", price.getHardLimit());
        }
        return node;
    }

    public static ObjectNode consumer(AccountsState.StoredConsumer stored) {
        ConsumerUpdated consumer = stored.consumer();
        ObjectNode node = JSON.createObjectNode();
        node.put("id", consumer.getConsumer());
        node.put("plan", consumer.getPlan());
        node.put("status", consumer.getStatus());
        node.put("billing", consumer.getBilling());
        if (consumer.getSpendLimitMicros() != null) {
            node.put("spendLimit", Money.formatMicros(consumer.getSpendLimitMicros()));
        }
        node.put("updatedAt", stored.updatedAt().toString());
        return node;
    }

    public static ObjectNode credit(AccountsState.StoredCredit stored) {
        CreditsGranted grant = stored.grant();
        ObjectNode node = JSON.createObjectNode();
        node.put("consumer", grant.getConsumer());
        node.put("amount", Money.formatMicros(grant.getAmountMicros()));
        node.put("idempotencyKey", grant.getIdempotencyKey());
        if (grant.getReason() != null) {
            node.put("reason", grant.getReason());
        }
        node.put("grantedAt", stored.grantedAt().toString());
        return node;
    }

    /** {@code asOf} is when the streams application last changed this balance. */
    public static ObjectNode balance(Balance balance) {
        ObjectNode node = JSON.createObjectNode();
        node.put("consumer", balance.getConsumer());
        node.put("currency", balance.getCurrency());
        node.put("billing", balance.getBilling());
        node.put("status", balance.getStatus());
        node.put("credits", Money.formatMicros(balance.getCreditsMicros()));
        node.put("spent", Money.formatMicros(balance.getSpentMicros()));
        node.put("remaining", Money.formatMicros(balance.getRemainingMicros()));
        if (balance.getSpendLimitMicros() != null) {
            node.put("spendLimit", Money.formatMicros(balance.getSpendLimitMicros()));
        }
        node.put("period", balance.getPeriod());
        ObjectNode usage = node.putObject("usage");
        for (Map.Entry<String, Long> meter : new TreeMap<>(balance.getUsage()).entrySet()) {
            usage.put(meter.getKey(), meter.getValue());
        }
        node.put("asOf", balance.getUpdatedAt().toString());
        return node;
    }
}
