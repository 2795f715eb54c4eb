package io.tollgate.localstack;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JavaRuntimeTest {

    @Test
    void theVersionOfThisJvmIsItsFeatureRelease() {
        assertThat(JavaRuntime.version(JavaRuntime.current())).isEqualTo(Runtime.version().feature());
    }

    @Test
    void anExplicitJavaThatIsTooOldIsRefusedByName() {
        String current = JavaRuntime.current().toString();
        int tooNew = Runtime.version().feature() + 1;

        assertThatThrownBy(() -> JavaRuntime.atLeast(tooNew, current))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(current + " is not a Java " + tooNew + "+ runtime");
    }

    @Test
    void withNoRecentEnoughJavaTheMessageSaysWhatToInstall() {
        assertThatThrownBy(() -> JavaRuntime.atLeast(999, null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs Java 999 or newer")
                .hasMessageContaining("TOLLGATE_REGISTRY_JAVA");
    }
}
