package io.tollgate.billing.accounts;

import io.tollgate.avro.Balance;
import io.tollgate.avro.CreditsGranted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static io.tollgate.billing.accounts.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Credits for postpaid consumers (ACCOUNTS.md "Credits and billing modes"): a grant is accepted and recorded like any
 * other, and the balance shows it as {@code credits} next to the postpaid spend limit; metering-streams never takes
 * postpaid charges from it (PostpaidCreditsTest there).
 */
class PostpaidCreditsApiTest {
    final ApiFixture api = new ApiFixture();

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void aGrantToAPostpaidConsumerIsRecordedAndItsBalanceShowsItBesideTheSpendLimit() {
        api.send("PUT", "/v1/plans/pro", AccountsApiTest.PRO);
        api.send("PUT", "/v1/consumers/bigco", "{\"plan\": \"pro\", \"billing\": \"postpaid\", \"spendLimit\": \"500.00\"}");

        ApiFixture.Answer grant = api.send("POST", "/v1/consumers/bigco/credits",
                "{\"amount\": \"10.00\", \"idempotencyKey\": \"goodwill-1\", \"reason\": \"service credit\"}");
        api.balances.put("bigco", Balance.newBuilder().setConsumer("bigco").setPlan("pro").setStatus("active").setBilling("postpaid")
                .setCurrency("USD").setPeriod("2026-12").setCreditsMicros(10_000_000L).setSpentMicros(100_000L)
                .setRemainingMicros(499_900_000L).setSpendLimitMicros(500_000_000L).setUsage(Map.of("requests", 1100L))
                .setAmounts(Map.of()).setMeters(Map.of()).setVersion(9).setUpdatedAt(Instant.parse("2026-12-02T10:00:00Z")).build());
        ApiFixture.Answer balance = api.get("/v1/consumers/bigco/balance");

        assertThat(grant.status()).isEqualTo(201);
        assertThat(api.log.events()).filteredOn(e -> e.getPayload() instanceof CreditsGranted).hasSize(1);
        assertThat(balance.json()).isEqualTo(json("""
                {"consumer": "bigco", "currency": "USD", "billing": "postpaid", "status": "active",
                 "credits": "10.00", "spent": "0.10", "remaining": "499.90", "spendLimit": "500.00",
                 "period": "2026-12", "usage": {"requests": 1100}, "asOf": "2026-12-02T10:00:00Z"}"""));
    }
}
