package io.tollgate.localstack.junit;

import io.tollgate.localstack.Ports;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the extension hands out, in whichever mode this JVM runs. */
@Tag("integration")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class TollgateStackExtensionIT {

    @Test
    void everyTestOfTheJvmGetsTheSameRunningStack(KafkaStack first, KafkaStack second) {
        assertThat(first).isSameAs(second);
        assertThat(first.schemaRegistryUrl()).endsWith("/apis/ccompat/v7");
        if (first.mode() == KafkaStack.Mode.EMBEDDED) {
            assertThat(first.bootstrapServers()).startsWith("127.0.0.1:");
            assertThat(Ports.isListening(Integer.parseInt(first.bootstrapServers().substring("127.0.0.1:".length())))).isTrue();
        }
    }

    @Test
    void uniqueNamesNeverRepeatAndKeepTheirPrefix(KafkaStack stack) {
        String a = stack.unique("usage.events");
        String b = stack.unique("usage.events");

        assertThat(a).startsWith("usage.events-").matches("[a-zA-Z0-9._-]+");
        assertThat(b).startsWith("usage.events-").isNotEqualTo(a);
    }

    @Test
    void brokerControlIsRefusedOutsideEmbeddedModeAndWorksInIt(KafkaStack stack) {
        if (stack.mode() == KafkaStack.Mode.EMBEDDED) {
            int port = Integer.parseInt(stack.bootstrapServers().substring("127.0.0.1:".length()));
            stack.stopBroker();
            assertThat(Ports.isFree(port)).isTrue();
            stack.startBroker();
            assertThat(Ports.isListening(port)).isTrue();
        } else {
            assertThatThrownBy(stack::stopBroker).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("works only with the embedded stack");
        }
    }
}
