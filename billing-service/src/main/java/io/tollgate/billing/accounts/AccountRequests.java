package io.tollgate.billing.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.schemas.ConsumerIds;
import io.tollgate.schemas.money.Money;
import io.tollgate.schemas.money.Periods;

import java.util.ArrayList;
import java.util.Currency;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Turns the JSON bodies of the accounts API (SPEC §7) into the records written to billing.accounts, or
 * names every field that is wrong. Unknown fields are refused rather than ignored, so that a typo
 * ("hardlimit") never silently prices a meter differently from what the operator meant.
 * Checks that need state (does the plan exist?) are made by {@link AccountsService}.
 */
public final class AccountRequests {
    /** Ids of plans: Kafka keys and URL path segments. Consumer ids follow {@link ConsumerIds}. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");
    static final Pattern METER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");
    static final Set<String> STATUSES = Set.of("active", "suspended", "cancelled");
    static final Set<String> BILLING_KINDS = Set.of("prepaid", "postpaid");
    static final int MAX_KEY_LENGTH = 200;
    static final int MAX_REASON_LENGTH = 500;

    private static final Set<String> PLAN_FIELDS = Set.of("currency", "period", "meters");
    private static final Set<String> METER_FIELDS = Set.of("unitPrice", "per", "included", "hardLimit");
    private static final Set<String> CONSUMER_FIELDS = Set.of("plan", "status", "billing", "spendLimit");
    private static final Set<String> CREDIT_FIELDS = Set.of("amount", "idempotencyKey", "reason");

    private AccountRequests() {
    }

    public static PlanDefined plan(String id, JsonNode body) throws InvalidRequest {
        List<InvalidRequest.FieldError> errors = new ArrayList<>();
        checkId("id", id, errors);
        requireObject(body);
        unknownFields(body, PLAN_FIELDS, "", errors);

        String currency = text(body, "currency", errors);
        if (currency != null && !isCurrency(currency)) {
            errors.add(new InvalidRequest.FieldError("currency", "not an ISO 4217 currency code: " + currency));
        }
        String period = text(body, "period", errors);
        if (period != null && !Periods.isValidKind(period)) {
            errors.add(new InvalidRequest.FieldError("period", "must be month or day, not " + period));
        }
        Map<String, MeterPrice> meters = new TreeMap<>();
        JsonNode metersNode = body.get("meters");
        if (metersNode == null || metersNode.isNull()) {
            errors.add(new InvalidRequest.FieldError("meters", "is required"));
        } else if (!metersNode.isObject() || metersNode.isEmpty()) {
            errors.add(new InvalidRequest.FieldError("meters", "must be an object with at least one meter"));
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = metersNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> meter = it.next();
                MeterPrice price = meterPrice("meters." + meter.getKey(), meter.getKey(), meter.getValue(), errors);
                if (price != null) {
                    meters.put(meter.getKey(), price);
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidRequest(errors);
        }
        return PlanDefined.newBuilder().setPlan(id).setCurrency(currency).setPeriod(period)
                .setMeters(new LinkedHashMap<>(meters)).build();
    }

    private static MeterPrice meterPrice(String field, String name, JsonNode node, List<InvalidRequest.FieldError> errors) {
        int before = errors.size();
        if (!METER.matcher(name).matches()) {
            errors.add(new InvalidRequest.FieldError(field, "meter names are 1 to 64 letters, digits, '_', '.', ':' or '-'"));
        }
        if (!node.isObject()) {
            errors.add(new InvalidRequest.FieldError(field, "must be an object with unitPrice, per, included, hardLimit"));
            return null;
        }
        unknownFields(node, METER_FIELDS, field + ".", errors);
        Long unitPrice = null;
        JsonNode priceNode = node.get("unitPrice");
        if (priceNode == null || priceNode.isNull()) {
            errors.add(new InvalidRequest.FieldError(field + ".unitPrice", "is required"));
        } else if (!priceNode.isTextual()) {
            errors.add(new InvalidRequest.FieldError(field + ".unitPrice", "must be a decimal string, e.g. \"0.50\""));
        } else {
            try {
                unitPrice = Money.parseNanos(priceNode.asText());
            } catch (IllegalArgumentException e) {
                errors.add(new InvalidRequest.FieldError(field + ".unitPrice", e.getMessage()));
            }
        }
        Long per = integer(node, "per", field + ".per", 1L, 1, errors);
        Long included = integer(node, "included", field + ".included", 0L, 0, errors);
        Long hardLimit = integer(node, "hardLimit", field + ".hardLimit", null, 0, errors);
        if (errors.size() > before) {
            return null;
        }
        return MeterPrice.newBuilder().setUnitPriceNanos(unitPrice).setPer(per).setIncluded(included)
                .setHardLimit(hardLimit).build();
    }

    public static ConsumerUpdated consumer(String id, JsonNode body) throws InvalidRequest {
        List<InvalidRequest.FieldError> errors = new ArrayList<>();
        checkConsumerId("id", id, errors);
        requireObject(body);
        unknownFields(body, CONSUMER_FIELDS, "", errors);
        String plan = text(body, "plan", errors);
        if (plan != null && !ID.matcher(plan).matches()) {
            errors.add(new InvalidRequest.FieldError("plan", "not a plan id: " + plan));
        }
        String status = optionalText(body, "status", "active", errors);
        if (status != null && !STATUSES.contains(status)) {
            errors.add(new InvalidRequest.FieldError("status", "must be active, suspended or cancelled, not " + status));
        }
        String billing = optionalText(body, "billing", "prepaid", errors);
        if (billing != null && !BILLING_KINDS.contains(billing)) {
            errors.add(new InvalidRequest.FieldError("billing", "must be prepaid or postpaid, not " + billing));
        }
        Long spendLimit = null;
        JsonNode limitNode = body.get("spendLimit");
        if (limitNode != null && !limitNode.isNull()) {
            if ("prepaid".equals(billing)) {
                errors.add(new InvalidRequest.FieldError("spendLimit", "applies to postpaid consumers only"));
            } else {
                spendLimit = money("spendLimit", limitNode, false, errors);
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidRequest(errors);
        }
        return ConsumerUpdated.newBuilder().setConsumer(id).setPlan(plan).setStatus(status).setBilling(billing)
                .setSpendLimitMicros(spendLimit).build();
    }

    public static CreditsGranted credits(String consumer, JsonNode body) throws InvalidRequest {
        List<InvalidRequest.FieldError> errors = new ArrayList<>();
        checkConsumerId("id", consumer, errors);
        requireObject(body);
        unknownFields(body, CREDIT_FIELDS, "", errors);
        Long amount = null;
        JsonNode amountNode = body.get("amount");
        if (amountNode == null || amountNode.isNull()) {
            errors.add(new InvalidRequest.FieldError("amount", "is required"));
        } else {
            amount = money("amount", amountNode, true, errors);
        }
        String key = text(body, "idempotencyKey", errors);
        if (key != null && (key.isBlank() || key.length() > MAX_KEY_LENGTH)) {
            errors.add(new InvalidRequest.FieldError("idempotencyKey", "must be 1 to " + MAX_KEY_LENGTH + " characters, not blank"));
        }
        String reason = optionalText(body, "reason", null, errors);
        if (reason != null && reason.length() > MAX_REASON_LENGTH) {
            errors.add(new InvalidRequest.FieldError("reason", "at most " + MAX_REASON_LENGTH + " characters"));
        }
        if (!errors.isEmpty()) {
            throw new InvalidRequest(errors);
        }
        return CreditsGranted.newBuilder().setConsumer(consumer).setAmountMicros(amount).setIdempotencyKey(key)
                .setReason(reason).build();
    }

    private static void requireObject(JsonNode body) throws InvalidRequest {
        if (body == null || !body.isObject()) {
            throw InvalidRequest.of("body", "must be a JSON object");
        }
    }

    private static void checkId(String field, String id, List<InvalidRequest.FieldError> errors) {
        if (id == null || !ID.matcher(id).matches()) {
            errors.add(new InvalidRequest.FieldError(field, "ids are 1 to 128 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit"));
        }
    }

    /** Consumer ids follow the alphabet every module shares (SPEC §6): they arrive from gateways, not from this API. */
    private static void checkConsumerId(String field, String id, List<InvalidRequest.FieldError> errors) {
        String problem = ConsumerIds.problem(id);
        if (problem != null) {
            errors.add(new InvalidRequest.FieldError(field, problem));
        }
    }

    private static void unknownFields(JsonNode node, Set<String> known, String prefix, List<InvalidRequest.FieldError> errors) {
        node.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                errors.add(new InvalidRequest.FieldError(prefix + name, "unknown field; expected one of " + new TreeSet<>(known)));
            }
        });
    }

    private static String text(JsonNode body, String field, List<InvalidRequest.FieldError> errors) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            errors.add(new InvalidRequest.FieldError(field, "is required"));
            return null;
        }
        if (!node.isTextual()) {
            errors.add(new InvalidRequest.FieldError(field, "must be a string"));
            return null;
        }
        return node.asText();
    }

    private static String optionalText(JsonNode body, String field, String fallback, List<InvalidRequest.FieldError> errors) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isTextual()) {
            errors.add(new InvalidRequest.FieldError(field, "must be a string"));
            return null;
        }
        return node.asText();
    }

    private static Long integer(JsonNode body, String name, String field, Long fallback, long min,
                                List<InvalidRequest.FieldError> errors) {
        JsonNode node = body.get(name);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong()) {
            errors.add(new InvalidRequest.FieldError(field, "must be a whole number"));
            return null;
        }
        long value = node.asLong();
        if (value < min) {
            errors.add(new InvalidRequest.FieldError(field, "must be at least " + min + ", not " + value));
            return null;
        }
        return value;
    }

    private static Long money(String field, JsonNode node, boolean positive, List<InvalidRequest.FieldError> errors) {
        if (!node.isTextual()) {
            errors.add(new InvalidRequest.FieldError(field, "must be a decimal string, e.g. \"25.00\""));
            return null;
        }
        long micros;
        try {
            micros = Money.parseMicros(node.asText());
        } catch (IllegalArgumentException e) {
            errors.add(new InvalidRequest.FieldError(field, e.getMessage()));
            return null;
        }
        if (positive && micros == 0) {
            errors.add(new InvalidRequest.FieldError(field, "must be greater than zero"));
            return null;
        }
        return micros;
    }

    private static boolean isCurrency(String code) {
        if (code.length() != 3 || !code.equals(code.toUpperCase(Locale.ROOT))) {
            return false;
        }
        try {
            Currency.getInstance(code);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
