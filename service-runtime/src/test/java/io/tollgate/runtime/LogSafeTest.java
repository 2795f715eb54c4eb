package io.tollgate.runtime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LogSafeTest {

    @Test
    void quotesPlainText() {
        assertThat(LogSafe.quote("acme")).isEqualTo("\"acme\"");
        assertThat(LogSafe.quote("Zoë 日本 \uD83D\uDE00")).isEqualTo("\"Zoë 日本 \uD83D\uDE00\"");
        assertThat(LogSafe.quote(null)).isEqualTo("null");
    }

    @Test
    void aForgedLogLineStaysOnOneLine() {
        String forged = "acme\r\n2026-11-21 10:00:00 INFO admin granted 1000000.00 to mallory";

        String quoted = LogSafe.quote(forged);

        assertThat(quoted).doesNotContain("\r", "\n")
                .isEqualTo("\"acme\\r\\n2026-11-21 10:00:00 INFO admin granted 1000000.00 to mallory\"");
    }

    @Test
    void escapesEveryControlAndInvisibleCharacterAndTheQuotes() {
        assertThat(LogSafe.quote("a\tb\u0000c\u007Fd\u0085e\u202Ef\u2028g\"h\\i"))
                .isEqualTo("\"a\\tb\\u0000c\\u007fd\\u0085e\\u202ef\\u2028g\\\"h\\\\i\"");
        assertThat(LogSafe.quote("lone\uD800x")).isEqualTo("\"lone\\ud800x\"");
    }

    @Test
    void cutsLongTextAndSaysHowMuchWasLeftOut() {
        String quoted = LogSafe.quote("x".repeat(1000));

        assertThat(quoted).isEqualTo("\"" + "x".repeat(256) + "\"...(744 more chars)");
    }

    @Test
    void neverCutsASurrogatePairInHalf() {
        String text = "x".repeat(255) + "\uD83D\uDE00" + "tail";

        assertThat(LogSafe.quote(text)).isEqualTo("\"" + "x".repeat(255) + "\"...(6 more chars)");
    }
}
