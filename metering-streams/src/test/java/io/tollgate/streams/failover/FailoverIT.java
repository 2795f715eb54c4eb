package io.tollgate.streams.failover;

import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With metering-streams' default settings, a SIGKILLed instance's consumers see their balances move again within 10 s
 * (issue 12: it was 46-47 s). The figures per lever come from {@link FailoverBench}; this guards the defaults.
 */
@Tag("integration")
@ExtendWith(TollgateStackExtension.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class FailoverIT {
    private static final Duration TARGET = Duration.ofSeconds(10);

    @Test
    void balancesOfAKilledInstancesConsumersMoveAgainWithin10Seconds(KafkaStack stack, @TempDir Path dir) throws Exception {
        Path jar = Path.of("target", "metering-streams.jar").toAbsolutePath();
        assertThat(jar).as("the shaded jar (built by 'package' before failsafe runs)").exists();
        FailoverRun run = new FailoverRun(stack.bootstrapServers(), stack.schemaRegistryUrl(), dir, jar);

        FailoverRun.Result result = run.measure(new FailoverRun.Lever("tollgate-defaults", Map.of(), Map.of(), Map.of()),
                24, 240, Duration.ofSeconds(5), Duration.ofSeconds(60));

        System.out.println(result.summary());
        assertThat(result.victimConsumers()).isNotEmpty();
        assertThat(result.maxStall()).as("ms until every consumer's balance moved again: %s", result.stallMs())
                .isLessThan(TARGET.toMillis());
    }
}
