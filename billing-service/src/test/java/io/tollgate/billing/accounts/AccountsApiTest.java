package io.tollgate.billing.accounts;

import io.tollgate.avro.Balance;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.PlanDefined;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static io.tollgate.billing.accounts.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

class AccountsApiTest {
    static final String PRO = """
            {"currency": "USD", "period": "month",
             "meters": {"requests":      {"unitPrice": "0.002", "per": 1, "included": 1000},
                        "input_tokens":  {"unitPrice": "0.50",  "per": 1000000},
                        "output_tokens": {"unitPrice": "1.50",  "per": 1000000, "hardLimit": 5000000}}}""";
    static final String PRO_STORED = """
            {"id": "pro", "currency": "USD", "period": "month",
             "meters": {"input_tokens":  {"unitPrice": "0.50",  "per": 1000000, "included": 0},
                        "output_tokens": {"unitPrice": "1.50",  "per": 1000000, "included": 0, "hardLimit": 5000000},
                        "requests":      {"unitPrice": "0.002", "per": 1, "included": 1000}},
             "updatedAt": "2026-11-21T10:00:00Z"}""";

    final ApiFixture api = new ApiFixture();

    @AfterEach
    void close() {
        api.close();
    }

    void givenProAndAcme() {
        assertThat(api.send("PUT", "/v1/plans/pro", PRO).status()).isEqualTo(201);
        assertThat(api.send("PUT", "/v1/consumers/acme", "{\"plan\": \"pro\", \"status\": \"active\", \"billing\": \"prepaid\"}").status())
                .isEqualTo(201);
    }

    @Test
    void refusesCallsWithoutAToken() {
        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/pro", PRO, Map.of());

        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat(answer.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"tollgate-admin\"");
        assertThat(answer.json()).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/unauthorized", "title": "Unauthorized", "status": 401,
                 "detail": "this endpoint requires Authorization: Bearer <admin token>"}"""));
        assertThat(api.log.records()).isEmpty();
    }

    @Test
    void refusesCallsWithAWrongOrTruncatedToken() {
        for (String header : List.of("Bearer wrong", "Bearer " + ApiFixture.TOKEN.substring(1), "Basic " + ApiFixture.TOKEN, "Bearer ")) {
            ApiFixture.Answer answer = api.send("GET", "/v1/consumers/acme/balance", null, Map.of("Authorization", header));
            assertThat(answer.status()).as(header).isEqualTo(401);
            assertThat(answer.json().get("detail").asText()).isEqualTo("the bearer token is not one of TOLLGATE_ADMIN_TOKENS");
        }
        assertThat(api.send("GET", "/v1/usage", null, Map.of("Authorization", "Bearer nope")).status()).isEqualTo(401);
        assertThat(api.send("GET", "/v1/consumers/acme/invoices/2026-11", null, Map.of()).status()).isEqualTo(401);
    }

    @Test
    void definesAPlanAnswering201ThenTheStoredPlanOnARepeat() {
        ApiFixture.Answer created = api.send("PUT", "/v1/plans/pro", PRO);

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.contentType()).isEqualTo("application/json");
        assertThat(created.json()).isEqualTo(json(PRO_STORED));
        PlanDefined written = (PlanDefined) api.log.events().get(0).getPayload();
        assertThat(written.getMeters().get("input_tokens").getUnitPriceNanos()).isEqualTo(500_000_000L);
        assertThat(written.getMeters().get("requests").getUnitPriceNanos()).isEqualTo(2_000_000L);
        assertThat(written.getMeters().get("output_tokens").getHardLimit()).isEqualTo(5_000_000L);

        ApiFixture.Answer repeated = api.send("PUT", "/v1/plans/pro", PRO);
        assertThat(repeated.status()).isEqualTo(200);
        assertThat(repeated.json()).isEqualTo(json(PRO_STORED));
        assertThat(api.log.events()).hasSize(1);
        assertThat(api.get("/v1/plans/pro").json()).isEqualTo(json(PRO_STORED));
    }

    @Test
    void changingAPlanAnswers200AndWritesItAgainToEveryPartition() {
        api.send("PUT", "/v1/plans/pro", PRO);

        ApiFixture.Answer changed = api.send("PUT", "/v1/plans/pro", PRO.replace("\"0.002\"", "\"0.003\""));

        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.json().at("/meters/requests/unitPrice").asText()).isEqualTo("0.003");
        assertThat(api.log.records()).hasSize(12);
        assertThat(api.log.records().stream().map(InMemoryAccountsLog.Appended::partition).distinct().sorted().toList())
                .containsExactly(0, 1, 2, 3, 4, 5);
    }

    static Stream<Arguments> invalidPlans() {
        return Stream.of(
                Arguments.of(PRO.replace("\"USD\"", "\"XYZ\""), "currency", "not an ISO 4217 currency code: XYZ"),
                Arguments.of(PRO.replace("\"USD\"", "\"usd\""), "currency", "not an ISO 4217 currency code: usd"),
                Arguments.of(PRO.replace("\"USD\"", "840"), "currency", "must be a string"),
                Arguments.of(PRO.replace("\"month\"", "\"week\""), "period", "must be month or day, not week"),
                Arguments.of(PRO.replace("\"0.002\"", "\"-0.002\""), "meters.requests.unitPrice", "must not be negative: -0.002"),
                Arguments.of(PRO.replace("\"0.002\"", "\"two\""), "meters.requests.unitPrice", "not a decimal number: two"),
                Arguments.of(PRO.replace("\"0.002\"", "0.002"), "meters.requests.unitPrice", "must be a decimal string, e.g. \"0.50\""),
                Arguments.of(PRO.replace("\"0.002\"", "\"0.0000000001\""), "meters.requests.unitPrice", "more than 9 decimal places: 0.0000000001"),
                Arguments.of(PRO.replace("\"per\": 1,", "\"per\": 0,"), "meters.requests.per", "must be at least 1, not 0"),
                Arguments.of(PRO.replace("\"per\": 1,", "\"per\": 1.5,"), "meters.requests.per", "must be a whole number"),
                Arguments.of(PRO.replace("\"included\": 1000", "\"included\": -1"), "meters.requests.included", "must be at least 0, not -1"),
                Arguments.of(PRO.replace("\"hardLimit\"", "\"hardlimit\""), "meters.output_tokens.hardlimit",
                        "unknown field; expected one of [hardLimit, included, per, unitPrice]"),
                Arguments.of(PRO.replace("\"included\": 1000}", "\"included\": 1000, \"tiers\": []}"), "meters.requests.tiers",
                        "unknown field; expected one of [hardLimit, included, per, unitPrice]"),
                Arguments.of("{\"currency\": \"USD\", \"period\": \"month\"}", "meters", "is required"),
                Arguments.of("{\"currency\": \"USD\", \"period\": \"month\", \"meters\": {}}", "meters", "must be an object with at least one meter"),
                Arguments.of("{\"currency\": \"USD\", \"period\": \"month\", \"meters\": {\"requests\": {\"per\": 1}}}",
                        "meters.requests.unitPrice", "is required"),
                Arguments.of("{\"currency\": \"USD\", \"period\": \"month\", \"meters\": {\"bad meter\": {\"unitPrice\": \"1\"}}}",
                        "meters.bad meter", "meter names are 1 to 64 letters, digits, '_', '.', ':' or '-'"),
                Arguments.of(PRO.replace("\"period\"", "\"currency2\": \"EUR\", \"period\""), "currency2",
                        "unknown field; expected one of [currency, meters, period]"),
                Arguments.of("[1, 2]", "body", "must be a JSON object"),
                Arguments.of("", "body", "is required: a JSON object"));
    }

    @ParameterizedTest
    @MethodSource("invalidPlans")
    void refusesAnInvalidPlanNamingTheFieldAndWritesNothing(String body, String field, String reason) {
        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/pro", body);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat(answer.json()).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/invalid-request", "title": "Invalid request", "status": 400,
                 "detail": %s, "field": %s, "reason": %s, "errors": [{"field": %s, "reason": %s}]}""".formatted(
                quote(field + ": " + reason), quote(field), quote(reason), quote(field), quote(reason))));
        assertThat(api.log.records()).isEmpty();
        assertThat(api.get("/v1/plans/pro").status()).isEqualTo(404);
    }

    @Test
    void refusesMalformedJsonAsABadBody() {
        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/pro", "{\"currency\": ");

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("field").asText()).isEqualTo("body");
        assertThat(answer.json().get("reason").asText()).startsWith("malformed JSON: ");
    }

    @Test
    void namesEveryBadFieldOfOneRequest() {
        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/pro", PRO.replace("\"USD\"", "\"XYZ\"").replace("\"month\"", "\"year\""));

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("errors")).isEqualTo(json("""
                [{"field": "currency", "reason": "not an ISO 4217 currency code: XYZ"},
                 {"field": "period", "reason": "must be month or day, not year"}]"""));
    }

    @Test
    void refusesABadPlanIdInThePath() {
        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/-pro", PRO);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("field").asText()).isEqualTo("id");
    }

    @Test
    void createsAConsumerAnswering201ThenUpdatesIt() {
        api.send("PUT", "/v1/plans/pro", PRO);

        ApiFixture.Answer created = api.send("PUT", "/v1/consumers/acme", "{\"plan\": \"pro\", \"status\": \"active\", \"billing\": \"prepaid\"}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json()).isEqualTo(json("""
                {"id": "acme", "plan": "pro", "status": "active", "billing": "prepaid", "updatedAt": "2026-11-21T10:00:00Z"}"""));

        ApiFixture.Answer postpaid = api.send("PUT", "/v1/consumers/acme",
                "{\"plan\": \"pro\", \"status\": \"suspended\", \"billing\": \"postpaid\", \"spendLimit\": \"500.00\"}");
        assertThat(postpaid.status()).isEqualTo(200);
        assertThat(postpaid.json()).isEqualTo(json("""
                {"id": "acme", "plan": "pro", "status": "suspended", "billing": "postpaid", "spendLimit": "500.00",
                 "updatedAt": "2026-11-21T10:00:00Z"}"""));
        assertThat(api.get("/v1/consumers/acme").json()).isEqualTo(postpaid.json());
        assertThat(api.log.events()).hasSize(3);
    }

    static Stream<Arguments> invalidConsumers() {
        return Stream.of(
                Arguments.of("{\"plan\": \"gold\"}", "plan", "no plan named gold; define it first with PUT /v1/plans/gold"),
                Arguments.of("{\"status\": \"active\"}", "plan", "is required"),
                Arguments.of("{\"plan\": \"pro\", \"status\": \"paused\"}", "status", "must be active, suspended or cancelled, not paused"),
                Arguments.of("{\"plan\": \"pro\", \"billing\": \"monthly\"}", "billing", "must be prepaid or postpaid, not monthly"),
                Arguments.of("{\"plan\": \"pro\", \"billing\": \"prepaid\", \"spendLimit\": \"10.00\"}", "spendLimit",
                        "applies to postpaid consumers only"),
                Arguments.of("{\"plan\": \"pro\", \"billing\": \"postpaid\", \"spendLimit\": \"-5\"}", "spendLimit", "must not be negative: -5"),
                Arguments.of("{\"plan\": \"pro\", \"billing\": \"postpaid\", \"spendLimit\": 500}", "spendLimit",
                        "must be a decimal string, e.g. \"25.00\""),
                Arguments.of("{\"plan\": \"pro\", \"credits\": \"5\"}", "credits",
                        "unknown field; expected one of [billing, plan, spendLimit, status]"));
    }

    @ParameterizedTest
    @MethodSource("invalidConsumers")
    void refusesAnInvalidConsumerNamingTheField(String body, String field, String reason) {
        api.send("PUT", "/v1/plans/pro", PRO);

        ApiFixture.Answer answer = api.send("PUT", "/v1/consumers/acme", body);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat(answer.json().get("field").asText()).isEqualTo(field);
        assertThat(answer.json().get("reason").asText()).isEqualTo(reason);
        assertThat(answer.json().get("detail").asText()).isEqualTo(field + ": " + reason);
        assertThat(api.log.events()).hasSize(1);
        assertThat(api.get("/v1/consumers/acme").status()).isEqualTo(404);
    }

    @Test
    void grantsCreditsOnceAndAnswersARepeatLikeTheFirstCall() {
        givenProAndAcme();
        String grant = "{\"amount\": \"25.00\", \"idempotencyKey\": \"topup-0001\", \"reason\": \"card payment\"}";

        ApiFixture.Answer first = api.send("POST", "/v1/consumers/acme/credits", grant);
        ApiFixture.Answer repeat = api.send("POST", "/v1/consumers/acme/credits", grant);

        assertThat(first.status()).isEqualTo(201);
        assertThat(first.json()).isEqualTo(json("""
                {"consumer": "acme", "amount": "25.00", "idempotencyKey": "topup-0001", "reason": "card payment",
                 "grantedAt": "2026-11-21T10:00:00Z"}"""));
        assertThat(repeat.status()).isEqualTo(200);
        assertThat(repeat.text()).isEqualTo(first.text());
        assertThat(grants()).singleElement().satisfies(g -> {
            assertThat(g.getAmountMicros()).isEqualTo(25_000_000L);
            assertThat(g.getIdempotencyKey()).isEqualTo("topup-0001");
        });
    }

    @Test
    void aRepeatedKeyWithAnotherAmountConflictsAndChangesNothing() {
        givenProAndAcme();
        api.send("POST", "/v1/consumers/acme/credits", "{\"amount\": \"25.00\", \"idempotencyKey\": \"topup-0001\"}");

        ApiFixture.Answer conflict = api.send("POST", "/v1/consumers/acme/credits", "{\"amount\": \"30.00\", \"idempotencyKey\": \"topup-0001\"}");

        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.json()).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/idempotency-conflict", "title": "Idempotency key reused", "status": 409,
                 "detail": "idempotency key topup-0001 was already used for a grant of another amount"}"""));
        assertThat(grants()).hasSize(1);
        assertThat(api.state.grantedMicros("acme")).isEqualTo(25_000_000L);
    }

    @Test
    void aKeyIsRecognisedAfterARestartFromBillingAccountsAlone() {
        givenProAndAcme();
        String grant = "{\"amount\": \"12.345678\", \"idempotencyKey\": \"k-1\"}";
        ApiFixture.Answer first = api.send("POST", "/v1/consumers/acme/credits", grant);
        AccountsState rebuilt = new AccountsState();
        api.log.replayInto(rebuilt);

        try (ApiFixture restarted = new ApiFixture(rebuilt)) {
            ApiFixture.Answer repeat = restarted.send("POST", "/v1/consumers/acme/credits", grant);

            assertThat(repeat.status()).isEqualTo(200);
            assertThat(repeat.text()).isEqualTo(first.text());
            assertThat(restarted.log.records()).isEmpty();
            assertThat(rebuilt.grantedMicros("acme")).isEqualTo(12_345_678L);
        }
    }

    @Test
    void concurrentGrantsWithOneKeyWriteOnce() {
        givenProAndAcme();
        String grant = "{\"amount\": \"5.00\", \"idempotencyKey\": \"race\"}";

        List<CompletableFuture<Integer>> calls = new ArrayList<>();
        IntStream.range(0, 16).forEach(i -> calls.add(CompletableFuture.supplyAsync(
                () -> api.send("POST", "/v1/consumers/acme/credits", grant).status())));
        List<Integer> statuses = calls.stream().map(CompletableFuture::join).toList();

        assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
        assertThat(statuses).filteredOn(s -> s == 200).hasSize(15);
        assertThat(grants()).hasSize(1);
    }

    static Stream<Arguments> invalidCredits() {
        return Stream.of(
                Arguments.of("{\"amount\": \"-1.00\", \"idempotencyKey\": \"k\"}", "amount", "must not be negative: -1.00"),
                Arguments.of("{\"amount\": \"0.00\", \"idempotencyKey\": \"k\"}", "amount", "must be greater than zero"),
                Arguments.of("{\"amount\": \"12,50\", \"idempotencyKey\": \"k\"}", "amount", "not a decimal number: 12,50"),
                Arguments.of("{\"amount\": \"0.0000001\", \"idempotencyKey\": \"k\"}", "amount", "more than 6 decimal places: 0.0000001"),
                Arguments.of("{\"amount\": 25, \"idempotencyKey\": \"k\"}", "amount", "must be a decimal string, e.g. \"25.00\""),
                Arguments.of("{\"idempotencyKey\": \"k\"}", "amount", "is required"),
                Arguments.of("{\"amount\": \"25.00\"}", "idempotencyKey", "is required"),
                Arguments.of("{\"amount\": \"25.00\", \"idempotencyKey\": \"  \"}", "idempotencyKey", "must be 1 to 200 characters, not blank"),
                Arguments.of("{\"amount\": \"25.00\", \"idempotencyKey\": \"k\", \"currency\": \"EUR\"}", "currency",
                        "unknown field; expected one of [amount, idempotencyKey, reason]"));
    }

    @ParameterizedTest
    @MethodSource("invalidCredits")
    void refusesInvalidCreditsNamingTheField(String body, String field, String reason) {
        givenProAndAcme();

        ApiFixture.Answer answer = api.send("POST", "/v1/consumers/acme/credits", body);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().get("field").asText()).isEqualTo(field);
        assertThat(answer.json().get("reason").asText()).isEqualTo(reason);
        assertThat(grants()).isEmpty();
    }

    @Test
    void creditsForAnUnknownConsumerAre404() {
        ApiFixture.Answer answer = api.send("POST", "/v1/consumers/nobody/credits", "{\"amount\": \"1.00\", \"idempotencyKey\": \"k\"}");

        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.json()).isEqualTo(json("""
                {"type": "https://tollgate.dev/problems/not-found", "title": "Not found", "status": 404,
                 "detail": "no consumer named nobody"}"""));
    }

    @Test
    void writesWaitUntilBillingAccountsHasBeenReadAndAnswer503Meanwhile() {
        api.replicaCaughtUp.set(false);

        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/pro", PRO);

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).contains("1");
        assertThat(answer.json().get("detail").asText()).isEqualTo("billing.accounts is still being read; retry shortly");
        assertThat(api.log.records()).isEmpty();
    }

    @Test
    void aWriteKafkaDidNotAcknowledgeIs503AndNotApplied() {
        api.log.failWrites(true);

        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/pro", PRO);

        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).contains("5");
        assertThat(answer.json().get("title").asText()).isEqualTo("Kafka unavailable");
        assertThat(api.get("/v1/plans/pro").status()).isEqualTo(404);
        api.log.failWrites(false);
        assertThat(api.send("PUT", "/v1/plans/pro", PRO).status()).isEqualTo(201);
    }

    @Test
    void answersTheBalanceFromTheReadModelWithDecimalStrings() {
        givenProAndAcme();
        api.balances.put("acme", Balance.newBuilder().setConsumer("acme").setPlan("pro").setStatus("active").setBilling("prepaid")
                .setCurrency("USD").setPeriod("2026-11").setCreditsMicros(25_000_000L).setSpentMicros(1_200_000L)
                .setRemainingMicros(23_800_000L).setUsage(Map.of("requests", 1600L, "input_tokens", 0L)).setAmounts(Map.of())
                .setMeters(Map.of()).setVersion(7).setUpdatedAt(Instant.parse("2026-11-21T10:00:00.250Z")).build());

        ApiFixture.Answer answer = api.get("/v1/consumers/acme/balance");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json()).isEqualTo(json("""
                {"consumer": "acme", "currency": "USD", "billing": "prepaid", "status": "active",
                 "credits": "25.00", "spent": "1.20", "remaining": "23.80",
                 "period": "2026-11", "usage": {"input_tokens": 0, "requests": 1600}, "asOf": "2026-11-21T10:00:00.250Z"}"""));
    }

    @Test
    void theBalanceOfAnUnknownConsumerIs404() {
        ApiFixture.Answer answer = api.get("/v1/consumers/ghost/balance");

        assertThat(answer.status()).isEqualTo(404);
        assertThat(answer.json().get("detail").asText()).isEqualTo("no consumer named ghost");
        assertThat(api.get("/v1/consumers/ghost").status()).isEqualTo(404);
    }

    private List<CreditsGranted> grants() {
        return api.log.events().stream().filter(e -> e.getPayload() instanceof CreditsGranted)
                .map(e -> (CreditsGranted) e.getPayload()).toList();
    }

    private static String quote(String s) {
        return AccountJson.JSON.getNodeFactory().textNode(s).toString();
    }
}
