package io.tollgate.billing.decision;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EstimateTest {

    @Test
    void parsesTheHeaderOfSpec() {
        Estimate estimate = Estimate.parseHeader("input_tokens=2000, output_tokens=500");

        assertThat(estimate.toString()).isEqualTo("input_tokens=2000,output_tokens=500");
        assertThat(estimate.units("input_tokens")).isEqualTo(2000);
        assertThat(estimate.units("output_tokens")).isEqualTo(500);
        assertThat(estimate.units("requests")).isZero();
    }

    @Test
    void aBlankOrMissingHeaderIsNoEstimate() {
        assertThat(Estimate.parseHeader(null)).isSameAs(Estimate.NONE);
        assertThat(Estimate.parseHeader("  ")).isSameAs(Estimate.NONE);
        assertThat(Estimate.parseHeader(" , ")).isSameAs(Estimate.NONE);
    }

    @Test
    void everyCallIsAtLeastOneRequest() {
        assertThat(Estimate.NONE.effective()).isSameAs(Estimate.ONE_REQUEST);
        assertThat(Estimate.parseHeader("input_tokens=7").effective().toString()).isEqualTo("input_tokens=7,requests=1");
        assertThat(Estimate.parseHeader("requests=3,input_tokens=7").effective().toString()).isEqualTo("requests=3,input_tokens=7");
    }

    @Test
    void rejectsMalformedPairsNamingThem() {
        assertThatThrownBy(() -> Estimate.parseHeader("input_tokens")).hasMessage("expected meter=units, got \"input_tokens\"");
        assertThatThrownBy(() -> Estimate.parseHeader("input_tokens=-1")).hasMessage("units of input_tokens must not be negative: \"-1\"");
        assertThatThrownBy(() -> Estimate.parseHeader("input_tokens=1.5"))
                .hasMessage("units of input_tokens must be a non-negative integer: \"1.5\"");
        assertThatThrownBy(() -> Estimate.parseHeader("input_tokens=\u0661\u0662"))
                .as("digits of other scripts are not units").hasMessage("units of input_tokens must be a non-negative integer: \"\u0661\u0662\"");
        assertThatThrownBy(() -> Estimate.parseHeader("a=1,a=2")).hasMessage("meter a named twice");
        assertThatThrownBy(() -> Estimate.parseHeader("=4")).hasMessage("empty meter name");
    }

    @Test
    void buildsFromJsonFields() {
        assertThat(Estimate.of(Map.of("input_tokens", 2000L)).units("input_tokens")).isEqualTo(2000);
        assertThat(Estimate.of(Map.of())).isSameAs(Estimate.NONE);
        assertThatThrownBy(() -> Estimate.of(Map.of("x", -2L))).hasMessage("units of x must be a non-negative integer");
    }

    @Test
    void boundsTheUnitsOfEachMeterAndNamesIt() {
        assertThat(Estimate.parseHeader("requests=1000000000000").units("requests")).isEqualTo(1_000_000_000_000L);
        assertThatThrownBy(() -> Estimate.parseHeader("requests=1000000000001"))
                .hasMessage("units of requests must be at most 1000000000000, not 1000000000001");
        assertThatThrownBy(() -> Estimate.parseHeader("input_tokens=7,requests=9223372036854775807"))
                .hasMessage("units of requests must be at most 1000000000000, not 9223372036854775807");
        assertThatThrownBy(() -> Estimate.parseHeader("requests=99999999999999999999999"))
                .hasMessage("units of requests must be at most 1000000000000");
        assertThat(Estimate.parseHeader("requests=000000000000000000000000000005").units("requests")).isEqualTo(5);
        assertThatThrownBy(() -> Estimate.parseHeader("requests=11", 10)).hasMessage("units of requests must be at most 10, not 11");
        assertThatThrownBy(() -> Estimate.of(Map.of("requests", 1_000_000_000_001L)))
                .hasMessage("units of requests must be at most 1000000000000, not 1000000000001");
    }

    @Test
    void refusesMeterNamesWithControlCharactersAndShowsThemEscaped() {
        assertThatThrownBy(() -> Estimate.parseHeader("evil\r\nX-Admin: 1=4"))
                .hasMessage("meter names are 1 to 64 letters, digits, '_', '.', ':' or '-', not \"evil\\r\\nX-Admin: 1\"");
        assertThatThrownBy(() -> Estimate.of(Map.of("a b", 1L))).hasMessageStartingWith("meter names are 1 to 64");
    }
}
