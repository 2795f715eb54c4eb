package io.tollgate.localstack;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PortsTest {

    @Test
    void aBoundPortIsReportedWithWhatItWasForAndTheOptionToChangeIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();

            assertThat(Ports.isFree(port)).isFalse();
            assertThat(Ports.isListening(port)).isTrue();
            assertThatThrownBy(() -> Ports.requireFree(port, "schema registry", "--registry-port"))
                    .isInstanceOf(Ports.PortInUseException.class)
                    .hasMessage("port " + port + " (schema registry) is already in use on 127.0.0.1: stop whatever listens there"
                            + " (see `ss -ltnp 'sport = :" + port + "'`) or choose another port with --registry-port")
                    .satisfies(e -> assertThat(((Ports.PortInUseException) e).port()).isEqualTo(port));
        }
    }

    @Test
    void aFreePortCanBeBoundAndNothingListensOnIt() {
        int port = Ports.free();

        assertThat(Ports.isFree(port)).isTrue();
        assertThat(Ports.isListening(port)).isFalse();
    }
}
