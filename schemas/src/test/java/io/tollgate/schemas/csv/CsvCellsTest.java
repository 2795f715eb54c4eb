package io.tollgate.schemas.csv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class CsvCellsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
            "=HYPERLINK(\"http://evil\")|\"'=HYPERLINK(\"\"http://evil\"\")\"",
            "+1+2|'+1+2",
            "-2+3|'-2+3",
            "@SUM(A1)|'@SUM(A1)",
            "acme|acme",
            "a=b|a=b",
            "input_tokens|input_tokens"})
    void neutralisesTextThatASpreadsheetWouldRunAsAFormula(String value, String cell) {
        assertThat(CsvCells.text(value)).isEqualTo(cell);
    }

    @Test
    void neutralisesLeadingTabAndCarriageReturnAndQuotesLineBreaks() {
        assertThat(CsvCells.text("\t=1+1")).isEqualTo("'\t=1+1");
        assertThat(CsvCells.text("\r=1+1")).isEqualTo("\"'\r=1+1\"");
        assertThat(CsvCells.text("two\nlines")).isEqualTo("\"two\nlines\"");
        assertThat(CsvCells.text("a,b")).isEqualTo("\"a,b\"");
        assertThat(CsvCells.text("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
        assertThat(CsvCells.text("")).isEmpty();
        assertThat(CsvCells.text(null)).isEmpty();
    }

    @Test
    void keepsNumbersNumericNegativeOnesIncluded() {
        assertThat(CsvCells.number("-0.20")).isEqualTo("-0.20");
        assertThat(CsvCells.number("1200")).isEqualTo("1200");
        assertThat(CsvCells.number("0.000001")).isEqualTo("0.000001");
    }

    @Test
    void writesWhatIsNotAPlainNumberInANumberColumnAsNeutralisedText() {
        assertThat(CsvCells.number("-1+cmd|' /C calc'!A0")).isEqualTo("'-1+cmd|' /C calc'!A0");
        assertThat(CsvCells.number("=1")).isEqualTo("'=1");
        assertThat(CsvCells.number("1,5")).isEqualTo("\"1,5\"");
    }

    @Test
    void joinsCellsWithCommas() {
        assertThat(CsvCells.row(CsvCells.text("=x"), CsvCells.number("-1"))).isEqualTo("'=x,-1");
    }
}
