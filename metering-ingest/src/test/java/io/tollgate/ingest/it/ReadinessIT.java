package io.tollgate.ingest.it;

import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Defect 7 of issue 12: ingest's {@code /readyz} turns 503 within 10 s of losing the broker and 200 after it returns. */
@Tag("integration")
@Timeout(300)
@ExtendWith(TollgateStackExtension.class)
class ReadinessIT {
    private static final Logger log = LoggerFactory.getLogger(ReadinessIT.class);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void readyzTurns503WithinTenSecondsOfLosingTheBrokerSaysWhyAndTurns200WhenItIsBack(KafkaStack stack) throws Exception {
        Assumptions.assumeTrue(stack.mode() == KafkaStack.Mode.EMBEDDED, "stopping the broker needs the embedded stack");
        try (RunningIngest ingest = new RunningIngest(stack, Map.of())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> readyz(ingest).statusCode() == 200);

            long stopping = System.nanoTime();
            stack.stopBroker();
            HttpResponse<String> notReady;
            try {
                Duration left = Duration.ofSeconds(10).minusNanos(System.nanoTime() - stopping);
                await().atMost(left).pollInterval(Duration.ofMillis(100)).until(() -> readyz(ingest).statusCode() == 503);
                notReady = readyz(ingest);
                log.info("metering-ingest /readyz turned 503 {} ms after the broker began to stop",
                        Duration.ofNanos(System.nanoTime() - stopping).toMillis());
            } finally {
                stack.startBroker();
            }
            assertThat(notReady.body()).startsWith("{\"ready\":false,\"detail\":\"Kafka at " + stack.bootstrapServers() + " has not answered for ");

            long restarted = System.nanoTime();
            await().atMost(Duration.ofSeconds(90)).until(() -> readyz(ingest).statusCode() == 200);
            log.info("metering-ingest /readyz back to 200 {} ms after the broker was started again",
                    Duration.ofNanos(System.nanoTime() - restarted).toMillis());
            assertThat(readyz(ingest).body()).isEqualTo("{\"ready\":true,\"detail\":\"ready\"}");
        }
    }

    private static HttpResponse<String> readyz(RunningIngest ingest) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingest.service.port() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
