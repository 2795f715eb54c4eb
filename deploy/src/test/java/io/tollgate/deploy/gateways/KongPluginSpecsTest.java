package io.tollgate.deploy.gateways;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The Kong plugin's busted specs ({@code deploy/gateways/kong/spec}) on LuaJIT, with the stand-ins for the Kong PDK,
 * resty.http, Kong's schema rules and its sandbox: the build fails when one of them fails.
 */
class KongPluginSpecsTest {
    static final Path KONG = Path.of("gateways", "kong").toAbsolutePath().normalize();
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) successes? / (\\d+) failures? / (\\d+) errors? / (\\d+) pending");

    static boolean onPath(String binary) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) {
                return true;
            }
        }
        return false;
    }

    @Test
    @Timeout(120)
    void everyBustedSpecPassesOnLuaJit() throws Exception {
        assumeThat(onPath("busted") && onPath("luajit"))
                .as("busted and luajit are not installed (apt-get install lua-busted luajit2 lua-cjson lua-yaml); skipping the Kong plugin specs")
                .isTrue();

        Process busted = new ProcessBuilder("busted", "--lua=luajit", "-o", "plainTerminal").directory(KONG.toFile())
                .redirectErrorStream(true).start();
        String output = new String(busted.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(busted.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(busted.exitValue()).as("busted exit code; output:%n%s", output).isZero();
        Matcher summary = SUMMARY.matcher(output);
        assertThat(summary.find()).as("busted summary in:%n%s", output).isTrue();
        assertThat(Integer.parseInt(summary.group(1))).as("specs run").isGreaterThanOrEqualTo(55);
        assertThat(summary.group(2)).isEqualTo("0");
        assertThat(summary.group(3)).isEqualTo("0");
        assertThat(summary.group(4)).as("pending: only the real-Kong spec, which needs Pongo").isEqualTo("1");
    }
}
