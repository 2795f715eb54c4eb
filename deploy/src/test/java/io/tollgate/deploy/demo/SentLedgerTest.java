package io.tollgate.deploy.demo;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SentLedgerTest {
    private static final Instant T = Instant.parse("2026-11-21T10:00:00Z");

    private static GatewayCall call(String id, String consumer, long in, long out, boolean gatewayGenerated) {
        return new GatewayCall(id, consumer, "orders", "orders-route", "GET", "/v1/orders/1", gatewayGenerated ? 429 : 200,
                T, 200, 900, in, out, in > 0 ? "gpt-4o" : null, gatewayGenerated);
    }

    @Test
    void countsACallDeliveredTwiceOnceAndRecordsTheRepeatAsDuplicate() {
        SentLedger ledger = new SentLedger();
        GatewayCall first = call("a", "acme", 1200, 310, false);

        ledger.record(List.of(first, call("b", "acme", 0, 0, false)));
        ledger.record(List.of(first));

        assertThat(ledger.expectedUnits("acme")).isEqualTo(Map.of("requests", 2L, "input_tokens", 1200L, "output_tokens", 310L));
        assertThat(ledger.tally("acme").delivered()).isEqualTo(3);
        assertThat(ledger.tally("acme").duplicates()).isEqualTo(1);
        assertThat(ledger.billableCalls()).isEqualTo(2);
    }

    @Test
    void billsNothingForAResponseTheGatewayMadeItself() {
        SentLedger ledger = new SentLedger();

        ledger.record(List.of(call("denied", "acme", 0, 0, true), call("ok", "acme", 0, 0, false)));

        assertThat(ledger.expectedUnits("acme")).isEqualTo(Map.of("requests", 1L));
        assertThat(ledger.gatewayGenerated()).isEqualTo(1);
        assertThat(ledger.billableCalls()).isEqualTo(1);
    }

    @Test
    void keepsConsumersApart() {
        SentLedger ledger = new SentLedger();

        ledger.record(List.of(call("1", "acme", 0, 0, false), call("2", "globex", 10, 20, false)));

        assertThat(ledger.expectedUnits("acme")).isEqualTo(Map.of("requests", 1L));
        assertThat(ledger.expectedUnits("globex")).isEqualTo(Map.of("requests", 1L, "input_tokens", 10L, "output_tokens", 20L));
        assertThat(ledger.expectedUnits("nobody")).isEmpty();
    }
}
