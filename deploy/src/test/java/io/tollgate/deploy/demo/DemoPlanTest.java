package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DemoPlanTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void isTheProPlanOfTheSpec() throws Exception {
        assertThat(json.readTree(json.writeValueAsBytes(DemoPlan.body(json)))).isEqualTo(json.readTree("""
                {"currency": "USD", "period": "month",
                 "meters": {"requests":      {"unitPrice": "0.002", "per": 1, "included": 1000},
                            "input_tokens":  {"unitPrice": "0.50",  "per": 1000000},
                            "output_tokens": {"unitPrice": "1.50",  "per": 1000000, "hardLimit": 5000000}}}
                """));
    }

    @Test
    void chargesOnlyRequestsBeyondTheIncludedOnes() {
        assertThat(DemoPlan.chargeMicros(Map.of("requests", 1600L))).isEqualTo(1_200_000L);
        assertThat(DemoPlan.chargeMicros(Map.of("requests", 1000L))).isZero();
    }

    @Test
    void chargesTokensPerMillionFromThePeriodTotals() {
        // 24,000 input tokens at 0.50/1M = 0.012; 32,000 output tokens at 1.50/1M = 0.048
        assertThat(DemoPlan.chargeMicros(Map.of("requests", 16L, "input_tokens", 24_000L, "output_tokens", 32_000L)))
                .isEqualTo(60_000L);
    }

    @Test
    void roundsOnceOnTheTotalNotPerCall() {
        // 3 tokens at 0.50/1M are 1.5 micro-units: rounded half-up once, to 2; per call it would be 3 x 1 = 3.
        assertThat(DemoPlan.chargeMicros(Map.of("input_tokens", 3L))).isEqualTo(2L);
    }
}
