package io.tollgate.runtime;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BearerTokensTest {

    @Test
    void acceptsEveryConfiguredTokenAsABearerHeader() {
        BearerTokens tokens = BearerTokens.parse(" first , second,,");

        assertThat(tokens.size()).isEqualTo(2);
        assertThat(tokens.acceptsHeader("Bearer first")).isTrue();
        assertThat(tokens.acceptsHeader("bearer second")).isTrue();
        assertThat(tokens.acceptsHeader("BEARER  second ")).isTrue();
    }

    @Test
    void refusesWrongMissingAndOtherSchemes() {
        BearerTokens tokens = BearerTokens.of(List.of("s3cret"));

        assertThat(tokens.acceptsHeader(null)).isFalse();
        assertThat(tokens.acceptsHeader("")).isFalse();
        assertThat(tokens.acceptsHeader("Bearer ")).isFalse();
        assertThat(tokens.acceptsHeader("Bearer s3cre")).isFalse();
        assertThat(tokens.acceptsHeader("Bearer s3cret2")).isFalse();
        assertThat(tokens.acceptsHeader("Basic s3cret")).isFalse();
        assertThat(tokens.acceptsHeader("s3cret")).isFalse();
        assertThat(tokens.acceptsToken("s3cret")).isTrue();
        assertThat(tokens.acceptsToken("")).isFalse();
    }

    @Test
    void anEmptyListAcceptsNothing() {
        BearerTokens none = BearerTokens.parse("  ");

        assertThat(none.isEmpty()).isTrue();
        assertThat(none.acceptsHeader("Bearer ")).isFalse();
        assertThat(none.acceptsHeader("Bearer x")).isFalse();
    }
}
