package io.tollgate.schemas;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConsumerIdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"acme", "a", "broke & co", "user 42", "Zoë", "日本の顧客", "kong:3f1c-9a", "a/b?c=d", "\uD83D\uDE00smile"})
    void acceptsPrintableIds(String id) {
        assertThat(ConsumerIds.problem(id)).isNull();
        assertThat(ConsumerIds.require("consumer", id)).isEqualTo(id);
    }

    @ParameterizedTest
    @ValueSource(strings = {"acme\r\nX-Admin: yes", "a\tb", "nul\u0000", "del\u007F", "c1\u0085", "bidi\u202Eevil", "zero\u200Bwidth",
            "line\u2028sep", "bom\uFEFF", "lone\uD800"})
    void refusesControlAndInvisibleCharactersWithoutRepeatingThem(String id) {
        String problem = ConsumerIds.problem(id);

        assertThat(problem).startsWith("has a control or invisible character (U+").contains(ConsumerIds.RULE);
        assertThat(problem.chars()).noneMatch(c -> c < 0x20 || c == 0x7F || c >= 0x80);
    }

    @Test
    void namesThePositionAndCodeOfTheFirstBadCharacter() {
        assertThat(ConsumerIds.problem("ab\r\ncd")).startsWith("has a control or invisible character (U+000D) at position 2;");
    }

    @Test
    void refusesEmptyBlankPaddedAndOverlongIds() {
        assertThat(ConsumerIds.problem("")).startsWith("is empty");
        assertThat(ConsumerIds.problem(null)).startsWith("is empty");
        assertThat(ConsumerIds.problem(" ")).startsWith("starts or ends with white space");
        assertThat(ConsumerIds.problem(" acme")).startsWith("starts or ends with white space");
        assertThat(ConsumerIds.problem("acme\u00A0")).startsWith("starts or ends with white space");
        assertThat(ConsumerIds.problem("x".repeat(256))).isNull();
        assertThat(ConsumerIds.problem("x".repeat(257))).isEqualTo("is longer than 256 characters");
        assertThat(ConsumerIds.problem("\uD83D\uDE00".repeat(256))).as("256 code points in 512 chars").isNull();
        assertThat(ConsumerIds.problem("\uD83D\uDE00".repeat(257))).isEqualTo("is longer than 256 characters");
    }

    @Test
    void requireNamesTheField() {
        assertThatThrownBy(() -> ConsumerIds.require("X-Consumer-Id", "a\nb"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("X-Consumer-Id has a control or invisible character");
    }

    @Property
    void everyIdWithAnAsciiControlCharacterIsRefused(@ForAll @StringLength(max = 20) @CharRange(from = 'a', to = 'z') String prefix,
                                                      @ForAll @CharRange(from = 0, to = 0x1F) char control,
                                                      @ForAll @StringLength(max = 20) @CharRange(from = 'a', to = 'z') String suffix) {
        assertThat(ConsumerIds.isValid(prefix + control + suffix)).isFalse();
    }

    @Property
    void everyPrintableAsciiIdWithoutOuterSpacesIsAccepted(@ForAll @StringLength(min = 1, max = 256) @CharRange(from = '!', to = '~') String id) {
        assertThat(ConsumerIds.isValid(id)).isTrue();
    }
}
