package io.tollgate.deploy.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    @TempDir
    Path dataDir;

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A stack whose services are gone: every call fails at once. */
    private static final class DeadStack implements DemoStack {
        final AtomicBoolean closed = new AtomicBoolean();
        final List<Integer> ports;

        DeadStack(List<Integer> ports) {
            this.ports = ports;
        }

        @Override public String ingestUrl() { return "http://127.0.0.1:1"; }
        @Override public String billingUrl() { return "http://127.0.0.1:1"; }
        @Override public String bootstrapServers() { return "127.0.0.1:1"; }
        @Override public String adminToken() { return "token"; }
        @Override public String decisionToken() { return null; }
        @Override public List<String> describe() { return List.of("a stack with nothing running"); }
        @Override public List<Integer> ports() { return ports; }
        @Override public void close() { closed.set(true); }
    }

    @Test
    void exitsTwoAndSaysWhereTheLogsAreWhenTheStackDoesNotStart() {
        DemoCommand command = new DemoCommand((dir, o) -> {
            throw new IllegalStateException("metering-streams exited during start-up");
        }, out);

        int exit = new CommandLine(command).execute("--plain", "--data-dir", dataDir.toString());

        assertThat(exit).isEqualTo(DemoCommand.STACK_FAILED);
        assertThat(printed()).contains("DEMO FAILED: the local stack did not start: metering-streams exited during start-up")
                .contains("logs of every process are under " + dataDir);
    }

    @Test
    void exitsOneNamingTheFailedCallAndStillStopsTheStack() {
        DeadStack stack = new DeadStack(List.of());
        DemoCommand command = new DemoCommand((dir, o) -> stack, out);

        int exit = new CommandLine(command).execute("--plain", "--data-dir", dataDir.toString());

        assertThat(exit).isEqualTo(DemoCommand.CHECKS_FAILED);
        assertThat(stack.closed).isTrue();
        assertThat(printed()).contains("== Stopping the stack").contains("DEMO FAILED after")
                .contains("- GET http://127.0.0.1:1/v1/consumers/acme/balance failed: ConnectException").contains("data and logs kept in " + dataDir);
    }

    @Test
    void failsWhenAPortOfTheStackIsStillOpenAfterItStopped() throws Exception {
        try (ServerSocket leftover = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            DeadStack stack = new DeadStack(List.of(leftover.getLocalPort()));

            int exit = new CommandLine(new DemoCommand((dir, o) -> stack, out)).execute("--plain", "--data-dir", dataDir.toString());

            assertThat(exit).isEqualTo(DemoCommand.CHECKS_FAILED);
            assertThat(printed()).contains("- port " + leftover.getLocalPort() + " is still open after the stack stopped");
        }
    }
}
