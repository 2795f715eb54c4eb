package io.tollgate.deploy.demo;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs {@code ./tollgate demo} in-process against the service jars of this build, as a newcomer would. */
@Tag("integration")
class DemoIT {

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void playsTheWholeStoryAndExitsZeroWithNothingLeftRunning() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(tee(printed, System.out), true, StandardCharsets.UTF_8);

        int exit = new CommandLine(new DemoCommand(LocalDemoStack::start, out)).execute("--plain");

        String output = printed.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit code; output:%n%s", output).isZero();
        assertThat(output)
                .contains("GET /v1/authorize  X-Consumer-Id: initech  ->  402 Payment Required (application/problem+json)")
                .contains("\"reason\" : \"insufficient_credits\"")
                .contains("\"consumer\" : \"initech\"")
                .contains("the same request again (a client retry)")
                .contains("same answer: credited once")
                .contains("decisions of initech, in order: 200 -> 402 insufficient_credits -> 200")
                .contains("2,287 calls delivered, 175 of them duplicates, 8 answered by the gateway itself (not billed)")
                .contains("every call counted exactly once, nothing left running.")
                .doesNotContain("DEMO FAILED");
        assertThat(output).containsPattern("initech   prepaid +16 +24,000 +32,000 +0\\.06 +-0\\.01  402 insufficient_credits");
        assertThat(output).containsPattern("initech   prepaid +32 +48,000 +64,000 +0\\.12 +4\\.93  200");
    }

    /** Keeps the output for the assertions and shows it in the build log as it happens. */
    private static OutputStream tee(OutputStream first, OutputStream second) {
        return new OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                first.write(b);
                second.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws java.io.IOException {
                first.write(b, off, len);
                second.write(b, off, len);
            }

            @Override
            public void flush() throws java.io.IOException {
                first.flush();
                second.flush();
            }
        };
    }
}
