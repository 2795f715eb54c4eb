package io.tollgate.streams;

import org.junit.jupiter.api.Test;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.assertj.core.api.Assertions.assertThat;

class ThreadReplacementTest {
    @Test
    void replacesAFailedThreadAtMostTheConfiguredNumberOfTimesThenShutsDown() {
        ThreadReplacement handler = new ThreadReplacement(2);
        IllegalStateException failure = new IllegalStateException("boom");

        assertThat(handler.handle(failure)).isEqualTo(REPLACE_THREAD);
        assertThat(handler.handle(failure)).isEqualTo(REPLACE_THREAD);
        assertThat(handler.handle(failure)).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(handler.handle(failure)).isEqualTo(SHUTDOWN_CLIENT);
        assertThat(handler.replacements()).isEqualTo(2);
    }

    @Test
    void withNoReplacementsAllowedTheFirstFailureShutsDown() {
        assertThat(new ThreadReplacement(0).handle(new RuntimeException())).isEqualTo(SHUTDOWN_CLIENT);
    }
}
