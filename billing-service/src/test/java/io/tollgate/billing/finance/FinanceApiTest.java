package io.tollgate.billing.finance;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.billing.accounts.ApiFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.tollgate.billing.accounts.ApiFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

class FinanceApiTest {
    static final String PRO = """
            {"currency": "USD", "period": "month",
             "meters": {"requests":      {"unitPrice": "0.002", "per": 1, "included": 1000},
                        "input_tokens":  {"unitPrice": "0.50",  "per": 1000000},
                        "output_tokens": {"unitPrice": "1.50",  "per": 1000000, "hardLimit": 5000000}}}""";

    final ApiFixture api = new ApiFixture();

    @BeforeEach
    void givenUsage() {
        hour("acme", "requests", "2026-10-31T23:00:00Z", 9, 0);
        hour("acme", "requests", "2026-11-20T23:00:00Z", 400, 0);
        hour("acme", "requests", "2026-11-21T09:00:00Z", 650, 100_000);
        hour("acme", "requests", "2026-11-21T09:00:00Z", 700, 200_000);   // a later total of the same hour replaces it
        hour("acme", "requests", "2026-11-21T10:00:00Z", 500, 1_000_000);
        hour("acme", "input_tokens", "2026-11-21T09:00:00Z", 2_000_000, 1_000_000);
        hour("beta", "requests", "2026-11-01T00:00:00Z", 5, 0);
    }

    void hour(String consumer, String meter, String start, long units, long amountMicros) {
        api.usage.put(UsageAggregate.newBuilder().setConsumer(consumer).setMeter(meter).setHourStart(Instant.parse(start))
                .setUnits(units).setEvents(units).setAmountMicros(amountMicros).setCurrency("USD")
                .setUpdatedAt(Instant.parse("2026-11-21T10:30:00Z")).build());
    }

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void listsOneConsumersUsagePerMeterAndDay() {
        ApiFixture.Answer answer = api.get("/v1/usage?consumer=acme&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=day");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json()).isEqualTo(json("""
                {"items": [
                  {"consumer": "acme", "meter": "input_tokens", "start": "2026-11-21T00:00:00Z", "units": 2000000, "amount": "1.00"},
                  {"consumer": "acme", "meter": "requests", "start": "2026-11-20T00:00:00Z", "units": 400, "amount": "0.00"},
                  {"consumer": "acme", "meter": "requests", "start": "2026-11-21T00:00:00Z", "units": 1200, "amount": "1.20"}],
                 "asOf": "2026-11-21T10:30:00Z"}"""));
    }

    @Test
    void listsEveryConsumerByMonthAndByHour() {
        assertThat(api.get("/v1/usage?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=month").json().get("items"))
                .isEqualTo(json("""
                        [{"consumer": "acme", "meter": "input_tokens", "start": "2026-11-01T00:00:00Z", "units": 2000000, "amount": "1.00"},
                         {"consumer": "acme", "meter": "requests", "start": "2026-11-01T00:00:00Z", "units": 1600, "amount": "1.20"},
                         {"consumer": "beta", "meter": "requests", "start": "2026-11-01T00:00:00Z", "units": 5, "amount": "0.00"}]"""));
        assertThat(api.get("/v1/usage?consumer=acme&from=2026-11-21T09:00:00Z&to=2026-11-21T10:00:00Z&granularity=hour").json().get("items"))
                .isEqualTo(json("""
                        [{"consumer": "acme", "meter": "input_tokens", "start": "2026-11-21T09:00:00Z", "units": 2000000, "amount": "1.00"},
                         {"consumer": "acme", "meter": "requests", "start": "2026-11-21T09:00:00Z", "units": 700, "amount": "0.20"}]"""));
    }

    @Test
    void pagesThroughLargeAnswersWithTheNextCursor() {
        String query = "/v1/usage?from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=day";
        JsonNode whole = api.get(query).json().get("items");

        List<JsonNode> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            ApiFixture.Answer page = api.get(query + "&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(page.status()).isEqualTo(200);
            page.json().get("items").forEach(paged::add);
            cursor = page.json().has("next") ? page.json().get("next").asText() : null;
            if (cursor != null) {
                assertThat(page.headers().firstValue("Link")).contains("<" + query.replace(":", "%3A").replace("/v1/usage%3F", "/v1/usage?")
                        .replaceFirst("\\?.*", "") + "?" + linkParams() + "cursor=" + cursor + ">; rel=\"next\"");
            }
            pages++;
        } while (cursor != null);

        assertThat(whole).hasSize(5);
        assertThat(pages).isEqualTo(3);
        assertThat(paged).containsExactlyElementsOf(whole::elements);
    }

    private static String linkParams() {
        return "from=2026-10-01T00%3A00%3A00Z&to=2026-12-01T00%3A00%3A00Z&granularity=day&limit=2&";
    }

    @Test
    void answersCsvWhenAsked() {
        ApiFixture.Answer answer = api.send("GET", "/v1/usage?consumer=acme&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=day",
                null, Map.of("Authorization", "Bearer " + ApiFixture.TOKEN, "Accept", "text/csv"));

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.contentType()).isEqualTo("text/csv; charset=utf-8");
        assertThat(answer.text()).isEqualTo("""
                consumer,meter,start,units,amount
                acme,input_tokens,2026-11-21T00:00:00Z,2000000,1.00
                acme,requests,2026-11-20T00:00:00Z,400,0.00
                acme,requests,2026-11-21T00:00:00Z,1200,1.20
                """);
    }

    @Test
    void csvNeutralisesFormulasInConsumerAndMeterButKeepsNegativeAmountsNumeric() {
        hour("=HYPERLINK(\"http://evil\",\"x\")", "requests", "2026-11-21T09:00:00Z", 3, 0);
        hour("@evil", "-2+3", "2026-11-21T09:00:00Z", 2, -200_000);

        ApiFixture.Answer answer = api.send("GET", "/v1/usage?from=2026-11-21T00:00:00Z&to=2026-11-22T00:00:00Z&granularity=day",
                null, Map.of("Authorization", "Bearer " + ApiFixture.TOKEN, "Accept", "text/csv"));

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.text()).isEqualTo("""
                consumer,meter,start,units,amount
                "'=HYPERLINK(""http://evil"",""x"")",requests,2026-11-21T00:00:00Z,3,0.00
                '@evil,'-2+3,2026-11-21T00:00:00Z,2,-0.20
                acme,input_tokens,2026-11-21T00:00:00Z,2000000,1.00
                acme,requests,2026-11-21T00:00:00Z,1200,1.20
                """);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "from=yesterday|from|must be an RFC 3339 time such as 2026-11-01T00:00:00Z, not yesterday",
            "from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z|to|must be after from",
            "granularity=week|granularity|must be hour, day or month, not week",
            "limit=0|limit|must be between 1 and 500",
            "limit=501|limit|must be between 1 and 500",
            "limit=ten|limit|must be a whole number",
            "cursor=bm9wZQ|cursor|not a cursor of this API: use the next value of the previous page"})
    void refusesBadUsageParameters(String query, String field, String reason) {
        ApiFixture.Answer answer = api.get("/v1/usage?" + query);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.contentType()).isEqualTo("application/problem+json");
        assertThat(answer.json().get("field").asText()).isEqualTo(field);
        assertThat(answer.json().get("reason").asText()).isEqualTo(reason);
    }

    @Test
    void invoicesAPeriodFromItsTotalsAndThePlan() {
        api.send("PUT", "/v1/plans/pro", PRO);
        api.send("PUT", "/v1/consumers/acme", "{\"plan\": \"pro\"}");

        ApiFixture.Answer answer = api.get("/v1/consumers/acme/invoices/2026-11");

        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json()).isEqualTo(json("""
                {"consumer": "acme", "period": "2026-11", "plan": "pro", "currency": "USD",
                 "lines": [{"meter": "input_tokens", "units": 2000000, "included": 0, "billable": 2000000,
                            "unitPrice": "0.50", "per": 1000000, "amount": "1.00"},
                           {"meter": "output_tokens", "units": 0, "included": 0, "billable": 0,
                            "unitPrice": "1.50", "per": 1000000, "amount": "0.00"},
                           {"meter": "requests", "units": 1600, "included": 1000, "billable": 600,
                            "unitPrice": "0.002", "per": 1, "amount": "1.20"}],
                 "total": "2.20", "asOf": "2026-11-21T10:30:00Z"}"""));
        assertThat(api.get("/v1/consumers/acme/invoices/2026-10").json().get("total").asText()).isEqualTo("0.00");
    }

    @Test
    void refusesAnInvoiceForAPeriodTheStoreCannotBill() {
        api.send("PUT", "/v1/plans/pro", PRO);
        api.send("PUT", "/v1/consumers/acme", "{\"plan\": \"pro\"}");

        ApiFixture.Answer day = api.get("/v1/consumers/acme/invoices/2026-11-21");
        ApiFixture.Answer junk = api.get("/v1/consumers/acme/invoices/november");
        ApiFixture.Answer unknown = api.get("/v1/consumers/ghost/invoices/2026-11");

        assertThat(day.status()).isEqualTo(400);
        assertThat(day.json().get("reason").asText()).isEqualTo("plan pro bills by month, so its periods look like 2026-11, not 2026-11-21");
        assertThat(junk.status()).isEqualTo(400);
        assertThat(junk.json().get("field").asText()).isEqualTo("period");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("detail").asText()).isEqualTo("no consumer named ghost");
    }
}
