package io.tollgate.billing.decision;

import io.tollgate.schemas.money.Money;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MicrosTextTest {

    @Property
    void writesExactlyWhatMoneyWrites(@ForAll long micros) {
        assertThat(MicrosText.format(micros)).isEqualTo(Money.formatMicros(micros));
    }

    @Test
    void formatsTypicalBalances() {
        assertThat(MicrosText.format(0)).isEqualTo("0.00");
        assertThat(MicrosText.format(23_800_000)).isEqualTo("23.80");
        assertThat(MicrosText.format(3_500)).isEqualTo("0.0035");
        assertThat(MicrosText.format(-1_500)).isEqualTo("-0.0015");
        assertThat(MicrosText.format(1)).isEqualTo("0.000001");
        assertThat(MicrosText.format(Long.MIN_VALUE)).isEqualTo(Money.formatMicros(Long.MIN_VALUE));
    }
}
