package io.tollgate.ingest.format;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.tollgate.ingest.format.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LenientNumbersTest {

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(delimiter = '|', value = {
            "1200          | 1200",
            "\"1200\"      | 1200",
            "1.2e3         | 1200",
            "\"1.2e3\"     | 1200",
            "1200.0        | 1200",
            "\" 42 \"      | 42",
            "0             | 0",
            "\"1.2E+3\"    | 1200",
            "9223372036854775807 | 9223372036854775807"})
    void readsMeterValuesInEverySpelling(String json, long expected) {
        assertThat(LenientNumbers.nonNegativeInteger(json(json))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} is refused: {1}")
    @CsvSource(delimiter = '|', value = {
            "1.5            | must be an integer",
            "\"1.25e1\"     | must be an integer",
            "-1             | must not be negative",
            "\"-3\"         | must not be negative",
            "\"twelve\"     | must be a number",
            "\"\"           | must be a number",
            "true           | must be a number",
            "{}             | must be a number",
            "\"NaN\"        | must be a number",
            "9223372036854775808 | too large",
            "1e30           | too large"})
    void refusesWhatIsNotANonNegativeInteger(String json, String reason) {
        assertThatThrownBy(() -> LenientNumbers.nonNegativeInteger(json(json)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(reason);
    }

    @Test
    void roundsFractionalEpochMillisHalfUp() {
        assertThat(LenientNumbers.epochMillis(json("1619414295000.6"))).isEqualTo(1619414295001L);
        assertThat(LenientNumbers.epochMillis(json("1.7267838395380e+12"))).isEqualTo(1726783839538L);
        assertThat(LenientNumbers.epochMillis(json("\"1726783839538\""))).isEqualTo(1726783839538L);
    }

    @Test
    void refusesNonPositiveEpochMillis() {
        assertThatThrownBy(() -> LenientNumbers.epochMillis(json("0")))
                .hasMessage("must be a positive epoch time in milliseconds");
    }
}
