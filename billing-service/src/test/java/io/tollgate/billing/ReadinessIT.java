package io.tollgate.billing;

import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.runtime.Lifecycle;
import io.tollgate.schemas.topics.Topics;
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
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Defect 7 of issue 12: {@code /readyz} is not a latch. It turns 503 within 10 s of losing the broker and 200 after it returns. */
@Tag("integration")
@Timeout(240)
@ExtendWith(TollgateStackExtension.class)
class ReadinessIT {
    private static final Logger log = LoggerFactory.getLogger(ReadinessIT.class);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void readyzTurns503WithinTenSecondsOfLosingTheBrokerSaysWhyAndTurns200WhenItIsBack(KafkaStack stack) throws Exception {
        Assumptions.assumeTrue(stack.mode() == KafkaStack.Mode.EMBEDDED, "stopping the broker needs the embedded stack");
        String balances = stack.unique("billing.balances");
        String accounts = stack.unique("billing.accounts");
        String hourly = stack.unique("usage.hourly");
        stack.createTopic(Topics.BILLING_BALANCES.withName(balances));
        Map<String, Object> settings = new HashMap<>();
        settings.put(EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(BillingConfig.PORT, 0);
        settings.put(BillingConfig.GRPC_PORT, -1);
        settings.put(BillingConfig.EVENT_LOOPS, 1);
        settings.put(BillingConfig.BALANCES_TOPIC, balances);
        settings.put(BillingConfig.ACCOUNTS_TOPIC, accounts);
        settings.put(BillingConfig.USAGE_HOURLY_TOPIC, hourly);

        try (Lifecycle lifecycle = new Lifecycle("readiness-it")) {
            BillingServer server = BillingMain.start(new BillingConfig(settings), lifecycle);
            await().atMost(Duration.ofSeconds(60)).until(() -> readyz(server).statusCode() == 200);
            assertThat(readyz(server).body()).isEqualTo("{\"ready\":true,\"detail\":\"ready\"}");

            long stopping = System.nanoTime();
            stack.stopBroker();
            HttpResponse<String> notReady;
            try {
                Duration left = Duration.ofSeconds(10).minusNanos(System.nanoTime() - stopping);
                await().atMost(left).pollInterval(Duration.ofMillis(100)).until(() -> readyz(server).statusCode() == 503);
                notReady = readyz(server);
                log.info("billing-service /readyz turned 503 {} ms after the broker began to stop",
                        Duration.ofNanos(System.nanoTime() - stopping).toMillis());
            } finally {
                stack.startBroker();
            }
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).startsWith("{\"ready\":false,\"detail\":\"Kafka at " + stack.bootstrapServers() + " has not answered for ");

            await().atMost(Duration.ofSeconds(60)).until(() -> readyz(server).statusCode() == 200);
        }
    }

    private static HttpResponse<String> readyz(BillingServer server) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
