package io.tollgate.deploy.decisions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.avro.Balance;
import io.tollgate.avro.UsageEvent;
import io.tollgate.deploy.finance.TopicSnapshot;
import io.tollgate.deploy.pipeline.BillingAdmin;
import io.tollgate.deploy.pipeline.PlanMeter;
import io.tollgate.deploy.pipeline.StreamsPipeline;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The decision claim on real metering-streams output. A consumer's account and credits go through billing-service's
 * admin API; a gateway asks {@code POST /v1/decisions} before every call and reports every allowed call as a usage
 * event on usage.events; a real metering-streams turns events and account events into {@code billing.balances}, which
 * billing-service decides from. So: 200 while credits last, exactly as many calls as the credits pay for, then 402
 * {@code insufficient_credits} once metering-streams has counted them, then a top-up, then 200 again, and 402 at the
 * end of the top-up. Every balance a decision used (its {@code asOf}) is the {@code updatedAt} of a balance
 * metering-streams wrote to billing.balances, which nothing else writes here. ({@code DecisionsOnBrokerIT} in
 * billing-service checks the same path against balances written by the test.)
 */
@Tag("integration")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
@ExtendWith(TollgateStackExtension.class)
class DecisionsOnStreamsIT {
    private static final Logger log = LoggerFactory.getLogger(DecisionsOnStreamsIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONSUMER = "acme";
    private static final PlanMeter PER_CALL = new PlanMeter("0.01", 1, 0);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final Set<String> asOfs = new LinkedHashSet<>();
    private int decisions;
    private final List<UsageEvent> reported = new ArrayList<>();

    record Answer(int status, JsonNode body, HttpResponse<String> response) {
        BigDecimal balance() {
            return new BigDecimal(body.get("balance").asText());
        }
    }

    @Test
    void aConsumerIsAllowedWhileItsStreamsBalanceLastsDeniedOnceSpentAndAllowedAgainAfterATopUp(KafkaStack stack) throws Exception {
        try (StreamsPipeline pipeline = StreamsPipeline.start(stack, "decisions")) {
            BillingAdmin admin = pipeline.admin();
            admin.putPlan("per-call", "month", Map.of("requests", PER_CALL));
            admin.putPrepaidConsumer(CONSUMER, "per-call");
            admin.grantCredits(CONSUMER, "0.10", "welcome");
            JsonNode funded = awaitBalance(admin, "0.10", "0.10", 0);

            int allowed = spendUntilDenied(pipeline, admin, new BigDecimal("0.10"));
            assertThat(allowed).as("calls allowed for 0.10 at 0.01 a call").isEqualTo(10);
            JsonNode spent = awaitBalance(admin, "0.10", "0.00", 10);
            Answer denied = decide(pipeline);
            assertThat(denied.status()).isEqualTo(402);
            assertThat(denied.response().headers().firstValue("X-Tollgate-Reason")).hasValue("insufficient_credits");
            assertThat(denied.body().get("reason").asText()).isEqualTo("insufficient_credits");
            assertThat(denied.balance()).isEqualByComparingTo("0");
            assertThat(denied.body().get("asOf").asText()).as("asOf of the 402 = updatedAt of the spent balance")
                    .isEqualTo(spent.get("asOf").asText());
            HttpResponse<String> forwardAuth = authorize(pipeline);
            assertThat(forwardAuth.statusCode()).isEqualTo(402);
            assertThat(JSON.readTree(forwardAuth.body()).get("asOf").asText()).isEqualTo(spent.get("asOf").asText());

            admin.grantCredits(CONSUMER, "0.05", "top-up-1");
            Answer afterTopUp = await("200 after the top-up").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> decide(pipeline), answer -> answer.status() != 402);
            assertThat(afterTopUp.status()).as("%s", afterTopUp.body()).isEqualTo(200);
            JsonNode toppedUp = admin.balance(CONSUMER).orElseThrow();
            assertThat(new BigDecimal(toppedUp.get("credits").asText())).isEqualByComparingTo("0.15");
            assertThat(new BigDecimal(toppedUp.get("remaining").asText())).isEqualByComparingTo("0.05");
            assertThat(afterTopUp.body().get("asOf").asText()).as("asOf of the first 200 after the top-up = updatedAt of the top-up's balance")
                    .isEqualTo(toppedUp.get("asOf").asText());
            assertThat(afterTopUp.balance()).as("left after this call").isEqualByComparingTo("0.04");
            report(pipeline);

            int allowedAfterTopUp = 1 + spendUntilDenied(pipeline, admin, new BigDecimal("0.04"));
            assertThat(allowedAfterTopUp).as("calls allowed for the top-up of 0.05").isEqualTo(5);
            JsonNode end = awaitBalance(admin, "0.15", "0.00", 15);
            Answer deniedAgain = decide(pipeline);
            assertThat(deniedAgain.status()).isEqualTo(402);
            assertThat(deniedAgain.body().get("reason").asText()).isEqualTo("insufficient_credits");
            assertThat(deniedAgain.body().get("asOf").asText()).isEqualTo(end.get("asOf").asText());

            List<Balance> written = TopicSnapshot.read(Map.of("bootstrap.servers", stack.bootstrapServers()), stack.schemaRegistryUrl(),
                    pipeline.topics().balances(), Balance.class, Duration.ofMinutes(1)).values().stream()
                    .filter(b -> b.getConsumer().equals(CONSUMER)).toList();
            Set<String> updatedAts = new LinkedHashSet<>();
            written.forEach(b -> updatedAts.add(b.getUpdatedAt().toString()));
            assertThat(asOfs).as("every asOf a decision answered is the updatedAt of a balance metering-streams wrote")
                    .isSubsetOf(updatedAts).contains(funded.get("asOf").asText(), spent.get("asOf").asText(), end.get("asOf").asText());
            Balance last = written.get(written.size() - 1);
            assertThat(last.getUsage()).isEqualTo(Map.of("requests", 15L));
            assertThat(last.getCreditsMicros()).isEqualTo(150_000L);
            assertThat(last.getRemainingMicros()).isZero();
            assertThat(reported).hasSize(15);
            pipeline.requireAlive();
            log.info("15 calls allowed for 0.15 of credits; {} decisions answered from {} distinct balances, all written by metering-streams"
                    + " ({} balance records for {})", decisions, asOfs.size(), written.size(), CONSUMER);
            pipeline.passed();
        }
    }

    /**
     * Asks and, when allowed, reports the call, as an honest gateway does, until denied; each 200 must leave exactly
     * what the credits minus every call allowed so far pay for. A deny is final only once metering-streams has counted
     * every reported call and the decision on that balance is still 402.
     */
    private int spendUntilDenied(StreamsPipeline pipeline, BillingAdmin admin, BigDecimal left) throws Exception {
        int allowed = 0;
        JsonNode counted = null;
        while (true) {
            Answer answer = decide(pipeline);
            if (answer.status() == 402) {
                awaitCounted(admin, reported.size());
                answer = decide(pipeline);
                if (answer.status() == 402) {
                    return allowed;
                }
            }
            assertThat(answer.status()).as("%s", answer.body()).isEqualTo(200);
            left = left.subtract(new BigDecimal(PER_CALL.unitPrice()));
            assertThat(answer.balance()).as("balance after allowed call %d", allowed + 1).isEqualByComparingTo(left);
            if (counted != null) {
                assertThat(answer.body().get("asOf").asText()).as("asOf = updatedAt of the balance counting %d calls", reported.size())
                        .isEqualTo(counted.get("asOf").asText());
                counted = null;
            }
            allowed++;
            report(pipeline);
            assertThat(allowed).as("calls allowed").isLessThanOrEqualTo(100);
            if (reported.size() % 3 == 0) {
                // Now and then the next decision uses a balance in which metering-streams counted every call so far.
                counted = awaitCounted(admin, reported.size());
            }
        }
    }

    /** The allowed call happened: its usage event, timed after the decision that admitted it. */
    private void report(StreamsPipeline pipeline) {
        long eventTime = Instant.now().toEpochMilli() + 1;
        UsageEvent event = UsageEvent.newBuilder().setId("call-" + reported.size()).setSource("gateway-1").setConsumer(CONSUMER)
                .setGateway("canonical").setEventTime(Instant.ofEpochMilli(eventTime)).setIngestTime(Instant.ofEpochMilli(eventTime))
                .setMeters(Map.of("requests", 1L)).build();
        pipeline.send(List.of(event));
        reported.add(event);
        // The next decision comes after this call's event time, as the next call on a gateway does.
        while (Instant.now().toEpochMilli() <= eventTime) {
            Thread.onSpinWait();
        }
    }

    private Answer decide(StreamsPipeline pipeline) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(pipeline.billingUrl() + "/v1/decisions"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + pipeline.decisionToken())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"consumer\": \"" + CONSUMER + "\", \"api\": \"orders\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        decisions++;
        if (body.hasNonNull("asOf")) {
            asOfs.add(body.get("asOf").asText());
        }
        return new Answer(response.statusCode(), body, response);
    }

    private HttpResponse<String> authorize(StreamsPipeline pipeline) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(pipeline.billingUrl() + "/v1/authorize/orders"))
                .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + pipeline.decisionToken())
                .header("X-Consumer-Id", CONSUMER).GET().build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        decisions++;
        if (body.hasNonNull("asOf")) {
            asOfs.add(body.get("asOf").asText());
        }
        return response;
    }

    /** Waits until billing-service shows the balance metering-streams computed with {@code requests} counted. */
    private static JsonNode awaitBalance(BillingAdmin admin, String credits, String remaining, long requests) {
        return await("balance of " + CONSUMER + ": credits " + credits + ", remaining " + remaining + ", " + requests + " requests")
                .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> admin.balance(CONSUMER).orElse(null), balance -> balance != null
                        && new BigDecimal(balance.get("credits").asText()).compareTo(new BigDecimal(credits)) == 0
                        && new BigDecimal(balance.get("remaining").asText()).compareTo(new BigDecimal(remaining)) == 0
                        && balance.path("usage").path("requests").asLong() == requests);
    }

    private static JsonNode awaitCounted(BillingAdmin admin, long requests) {
        return await(requests + " requests counted into the balance of " + CONSUMER).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100)).until(() -> admin.balance(CONSUMER).orElse(null),
                        balance -> balance != null && balance.path("usage").path("requests").asLong() == requests);
    }
}
