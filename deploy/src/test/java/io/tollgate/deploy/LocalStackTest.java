package io.tollgate.deploy;

import io.tollgate.localstack.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What {@link LocalStack} refuses before it starts anything. */
class LocalStackTest {

    @Test
    void aTakenKafkaPortFailsNamingThePortAndTheOptionBeforeAnythingStarts(@TempDir Path repo) throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            LocalStack.Options options = new LocalStack.Options(repo).onFreePorts().infraOnly(true).kafkaPort(taken.getLocalPort());

            assertThatThrownBy(() -> LocalStack.start(options))
                    .isInstanceOf(Ports.PortInUseException.class)
                    .hasMessageContaining("port " + taken.getLocalPort() + " (Kafka broker) is already in use")
                    .hasMessageContaining("--kafka-port");
            assertThat(repo.resolve(".tollgate")).doesNotExist();
        }
    }

    @Test
    void freshRefusesToWipeADirectoryItDidNotLayOut(@TempDir Path repo) throws IOException {
        Path dataDir = repo.resolve("precious");
        Files.createDirectories(dataDir);
        Files.writeString(dataDir.resolve("thesis.tex"), "years of work");
        LocalStack.Options options = new LocalStack.Options(repo).onFreePorts().infraOnly(true).dataDir(dataDir).fresh(true);

        assertThatThrownBy(() -> LocalStack.start(options))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("--fresh refuses to wipe " + dataDir)
                .hasMessageContaining("thesis.tex");
        assertThat(dataDir.resolve("thesis.tex")).hasContent("years of work");
    }

    @Test
    void anExternalKafkaNeedsAnExternalRegistryToo(@TempDir Path repo) {
        LocalStack.Options options = new LocalStack.Options(repo).onFreePorts().external("127.0.0.1:1", null);

        assertThatThrownBy(() -> LocalStack.start(options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--bootstrap-servers and --schema-registry-url go together: give both or neither");
    }
}
