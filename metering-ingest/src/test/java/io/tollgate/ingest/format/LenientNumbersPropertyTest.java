package io.tollgate.ingest.format;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Positive;

import java.math.BigDecimal;

import static io.tollgate.ingest.format.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LenientNumbersPropertyTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Property
    void everySpellingOfANonNegativeIntegerReadsAsItself(@ForAll @LongRange(min = 0) long value) {
        String exponent = new BigDecimal(value).movePointLeft(3).toPlainString() + "e3";

        assertThat(LenientNumbers.nonNegativeInteger(NODES.numberNode(value))).isEqualTo(value);
        assertThat(LenientNumbers.nonNegativeInteger(NODES.textNode(Long.toString(value)))).isEqualTo(value);
        assertThat(LenientNumbers.nonNegativeInteger(NODES.textNode(exponent))).isEqualTo(value);
        assertThat(LenientNumbers.nonNegativeInteger(NODES.textNode(" " + value + ".000 "))).isEqualTo(value);
    }

    @Property
    void negativeValuesAreRefusedInEverySpelling(@ForAll @Positive long magnitude) {
        assertThatThrownBy(() -> LenientNumbers.nonNegativeInteger(NODES.numberNode(-magnitude))).hasMessage(LenientNumbers.NEGATIVE);
        assertThatThrownBy(() -> LenientNumbers.nonNegativeInteger(NODES.textNode("-" + magnitude))).hasMessage(LenientNumbers.NEGATIVE);
    }

    @Property
    void fractionsAreRefused(@ForAll @LongRange(min = 0, max = 1_000_000_000L) long whole, @ForAll @LongRange(min = 1, max = 9) long tenth) {
        assertThatThrownBy(() -> LenientNumbers.nonNegativeInteger(json(whole + "." + tenth))).hasMessage(LenientNumbers.NOT_INTEGRAL);
        assertThatThrownBy(() -> LenientNumbers.nonNegativeInteger(NODES.textNode(whole + "." + tenth))).hasMessage(LenientNumbers.NOT_INTEGRAL);
    }
}
