package io.tollgate.ingest.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.avro.UsageEvent;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker that stops answering (SIGSTOP: connections stay open, nothing is acknowledged) must not hold a request
 * for the producer's delivery timeout: ingest answers within {@code tollgate.ingest.ack.timeout.ms} (default 5 s).
 */
@Tag("integration")
@Timeout(300)
@ExtendWith(TollgateStackExtension.class)
class BrokerFreezeIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEFAULT_ACK_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration MARGIN = Duration.ofMillis(1500);

    @Test
    void answers503WithinTheAcknowledgementTimeoutWhileTheBrokerIsFrozenAnd202OnceItIsBack(KafkaStack stack) throws Exception {
        Assumptions.assumeTrue(stack.mode() == KafkaStack.Mode.EMBEDDED, "freezing the broker needs the embedded stack");
        try (RunningIngest ingest = new RunningIngest(stack, Map.of())) {
            assertThat(post(ingest, "freeze-0").statusCode()).isEqualTo(202);

            HttpResponse<String> frozen;
            long tookNanos;
            stack.freezeBroker();
            try {
                long began = System.nanoTime();
                frozen = ingest.post("/v1/events", "application/json", """
                        [{"id": "freeze-1", "consumer": "freeze-acme"}, {"id": "freeze-2", "consumer": "freeze-acme"},
                         {"id": "freeze-3", "consumer": "freeze-globex"}]""");
                tookNanos = System.nanoTime() - began;
            } finally {
                stack.thawBroker();
            }

            System.out.printf("frozen broker: answered %d in %d ms (ack timeout %d ms)%n", frozen.statusCode(),
                    Duration.ofNanos(tookNanos).toMillis(), DEFAULT_ACK_TIMEOUT.toMillis());
            assertThat(frozen.statusCode()).isEqualTo(503);
            assertThat(Duration.ofNanos(tookNanos)).isLessThan(DEFAULT_ACK_TIMEOUT.plus(MARGIN));
            assertThat(frozen.headers().firstValue("Retry-After")).hasValue("2");
            JsonNode problem = JSON.readTree(frozen.body());
            assertThat(problem.get("type").asText()).isEqualTo("https://tollgate.dev/problems/kafka-unavailable");
            assertThat(problem.get("accepted")).isEqualTo(JSON.readTree("[]"));
            assertThat(problem.get("failed")).isEqualTo(JSON.readTree("[0, 1, 2]"));

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> post(ingest, "freeze-after-" + System.nanoTime()).statusCode() == 202);
            assertThat(post(ingest, "freeze-4").statusCode()).isEqualTo(202);
            assertThat(ingest.usageEvents("freeze-", 2).stream().map(ConsumerRecord::value).map(UsageEvent::getId))
                    .contains("freeze-0", "freeze-4");
        }
    }

    private static HttpResponse<String> post(RunningIngest ingest, String id) throws Exception {
        return ingest.post("/v1/events", "application/json", "{\"id\": \"" + id + "\", \"consumer\": \"freeze-acme\"}");
    }
}
