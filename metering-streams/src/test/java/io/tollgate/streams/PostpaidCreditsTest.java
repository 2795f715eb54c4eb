package io.tollgate.streams;

import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static io.tollgate.streams.MeteringDriver.price;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Credits of postpaid consumers (billing-service/ACCOUNTS.md "Credits and billing modes"): they are recorded and shown
 * as {@code credits}, postpaid charges are invoiced and never taken from them, so they never go down or negative across
 * periods; they pay for calls again once the consumer is prepaid.
 */
class PostpaidCreditsTest {
    private static final Instant NOVEMBER = Instant.parse("2026-11-21T10:00:00Z");
    private static final Instant DECEMBER = Instant.parse("2026-12-02T10:00:00Z");
    /** requests: 0.001 each, nothing included: 400 requests cost 0.40. */
    private static final Map<String, MeterPrice> BASIC = Map.of("requests", price(1_000_000L, 1, 0));

    private final MeteringDriver app = new MeteringDriver();

    @AfterEach
    void close() {
        app.close();
    }

    private Balance latest(String consumer) {
        app.flush();
        return app.latestBalances().get(consumer);
    }

    @Test
    void aPostpaidConsumerWithoutGrantsShowsZeroCreditsAfterItsFirstPeriod() {
        app.definePlan("basic", "month", BASIC, NOVEMBER);
        app.updateConsumer("bigco", "basic", "postpaid", 500_000_000L, NOVEMBER);
        app.call("bigco", "gw", "nov-1", NOVEMBER.plusSeconds(1), Map.of("requests", 400L));
        Balance november = latest("bigco");
        app.call("bigco", "gw", "dec-1", DECEMBER, Map.of("requests", 100L));
        Balance december = latest("bigco");

        assertThat(november.getPeriod()).isEqualTo("2026-11");
        assertThat(november.getCreditsMicros()).isZero();
        assertThat(november.getSpentMicros()).isEqualTo(400_000L);
        assertThat(december.getPeriod()).isEqualTo("2026-12");
        assertThat(december.getCreditsMicros()).as("not -0.40: November's charges are invoiced, not taken from credits").isZero();
        assertThat(december.getSpentMicros()).isEqualTo(100_000L);
        assertThat(december.getRemainingMicros()).isEqualTo(500_000_000L - 100_000L);
    }

    @Test
    void creditsGrantedToAPostpaidConsumerAreShownAndNeverConsumedAcrossPeriods() {
        app.definePlan("basic", "month", BASIC, NOVEMBER);
        app.updateConsumer("bigco", "basic", "postpaid", null, NOVEMBER);
        app.grant("bigco", 10_000_000L, "goodwill-1", NOVEMBER);
        app.call("bigco", "gw", "nov-1", NOVEMBER.plusSeconds(1), Map.of("requests", 400L));
        Balance november = latest("bigco");
        app.call("bigco", "gw", "dec-1", DECEMBER, Map.of("requests", 100L));
        Balance december = latest("bigco");

        assertThat(november.getCreditsMicros()).isEqualTo(10_000_000L);
        assertThat(november.getRemainingMicros()).as("postpaid without a limit").isZero();
        assertThat(december.getCreditsMicros()).isEqualTo(10_000_000L);
        assertThat(december.getSpentMicros()).isEqualTo(100_000L);
    }

    @Test
    void creditsPayAgainOnceTheConsumerSwitchesToPrepaid() {
        app.definePlan("basic", "month", BASIC, NOVEMBER);
        app.updateConsumer("acme", "basic", "prepaid", null, NOVEMBER);
        app.grant("acme", 25_000_000L, "topup-1", NOVEMBER);
        app.call("acme", "gw", "nov-prepaid", NOVEMBER.plusSeconds(1), Map.of("requests", 400L));
        Balance prepaidNovember = latest("acme");
        app.updateConsumer("acme", "basic", "postpaid", 50_000_000L, NOVEMBER.plusSeconds(2));
        app.call("acme", "gw", "dec-postpaid", DECEMBER, Map.of("requests", 300L));
        Balance postpaidDecember = latest("acme");
        app.updateConsumer("acme", "basic", "prepaid", null, DECEMBER.plusSeconds(1));
        app.call("acme", "gw", "dec-prepaid", DECEMBER.plusSeconds(2), Map.of("requests", 200L));
        Balance prepaidDecember = latest("acme");

        assertThat(prepaidNovember.getCreditsMicros()).isEqualTo(25_000_000L);
        assertThat(prepaidNovember.getRemainingMicros()).isEqualTo(24_600_000L);
        assertThat(postpaidDecember.getCreditsMicros()).as("the 0.40 paid while prepaid, nothing of the postpaid 0.30")
                .isEqualTo(24_600_000L);
        assertThat(postpaidDecember.getRemainingMicros()).isEqualTo(50_000_000L - 300_000L);
        // prepaid again: only the 0.20 booked since the switch is paid from credits; remaining = credits - spent
        assertThat(prepaidDecember.getSpentMicros()).isEqualTo(500_000L);
        assertThat(prepaidDecember.getRemainingMicros()).isEqualTo(24_400_000L);
        assertThat(prepaidDecember.getCreditsMicros()).isEqualTo(24_400_000L + 500_000L);
    }
}
