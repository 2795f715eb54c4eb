package io.tollgate.deploy.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ResourceSamplerTest {
    @Test
    void readsTheResidentSetFromProcStatus(@TempDir Path dir) throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nVmPeak:\t 9000000 kB\nVmRSS:\t  296512 kB\nThreads:\t42\n");

        assertThat(ResourceSampler.vmRssBytes(status)).isEqualTo(296_512L * 1024);
        assertThat(ResourceSampler.vmRssBytes(dir.resolve("missing"))).isZero();
    }

    @Test
    @EnabledOnOs(OS.LINUX)
    void measuresTheCpuAndMemoryOfAProcessOverAPhase() {
        try (ResourceSampler sampler = new ResourceSampler()) {
            sampler.watch("this test", ProcessHandle.current().pid(), false);
            sampler.begin("busy");
            long spent = 0;
            long until = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < until) {
                spent += Long.numberOfTrailingZeros(spent + System.nanoTime());
            }
            ResourceSampler.Phase phase = sampler.end();

            assertThat(spent).isPositive();
            assertThat(phase.name()).isEqualTo("busy");
            assertThat(phase.wall()).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(200));
            assertThat(phase.processes()).containsOnlyKeys("this test");
            assertThat(phase.processes().get("this test").cores()).isGreaterThan(0.1);
            assertThat(phase.processes().get("this test").peakRssBytes()).isGreaterThan(10L << 20);
        }
    }
}
