package io.tollgate.ingest.it;

import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestConfig;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Tag("integration")
@Timeout(300)
@ExtendWith(TollgateStackExtension.class)
class BrokerOutageIT {

    @Test
    void answers503WithRetryAfterWhileKafkaIsDownAndRecoversByItselfWithNoAcceptedEventLost(KafkaStack stack) throws Exception {
        Assumptions.assumeTrue(stack.mode() == KafkaStack.Mode.EMBEDDED, "stopping the broker needs the embedded stack");
        try (RunningIngest ingest = new RunningIngest(stack, Map.of(
                IngestConfig.DELIVERY_TIMEOUT_MS, 3000, IngestConfig.MAX_BLOCK_MS, 1000, IngestConfig.RETRY_AFTER_SECONDS, 3))) {
            AtomicInteger next = new AtomicInteger();
            List<String> accepted = new ArrayList<>();
            List<HttpResponse<String>> refused = new ArrayList<>();

            assertThat(post(ingest, next, accepted).statusCode()).isEqualTo(202);
            stack.stopBroker();
            try {
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    HttpResponse<String> response = post(ingest, next, accepted);
                    if (response.statusCode() == 503) {
                        refused.add(response);
                    }
                    return !refused.isEmpty();
                });
            } finally {
                stack.startBroker();
            }
            HttpResponse<String> unavailable = refused.get(0);
            assertThat(unavailable.headers().firstValue("Retry-After")).hasValue("3");
            assertThat(unavailable.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(unavailable.body()).contains("\"status\":503");

            int acceptedBeforeRecovery = accepted.size();
            await().atMost(Duration.ofSeconds(120)).until(() -> post(ingest, next, accepted).statusCode() == 202
                    && accepted.size() > acceptedBeforeRecovery);
            for (int i = 0; i < 5; i++) {
                assertThat(post(ingest, next, accepted).statusCode()).isEqualTo(202);
            }

            Set<String> published = ingest.usageEvents("outage-", accepted.size()).stream()
                    .map(ConsumerRecord::value).map(UsageEvent::getId).collect(Collectors.toSet());
            assertThat(published).containsAll(accepted);
        }
    }

    private static HttpResponse<String> post(RunningIngest ingest, AtomicInteger next, List<String> accepted) throws Exception {
        String id = "outage-" + next.incrementAndGet();
        HttpResponse<String> response = ingest.post("/v1/events", "application/json",
                "{\"id\": \"" + id + "\", \"consumer\": \"outage-acme\"}");
        if (response.statusCode() == 202) {
            accepted.add(id);
        }
        return response;
    }
}
