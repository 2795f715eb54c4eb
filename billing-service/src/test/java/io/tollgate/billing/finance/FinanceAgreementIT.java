package io.tollgate.billing.finance;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.billing.BillingConfig;
import io.tollgate.billing.accounts.AccountJson;
import io.tollgate.billing.accounts.AccountsModule;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.money.Periods;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A few thousand random calls with duplicates, rated hour by hour the way metering-streams publishes usage.hourly
 * (each hour carries the increase of its period's charge), read back through the usage API and the invoices:
 * both agree with a BigDecimal computation made here from the distinct calls, to the micro-unit.
 * The same claim on usage.hourly produced by a real metering-streams: deploy's {@code FinanceAgreementOnStreamsIT}.
 */
@Tag("integration")
@Timeout(300)
@ExtendWith(TollgateStackExtension.class)
class FinanceAgreementIT {
    static final String TOKEN = "agreement-token";
    record Price(String unitPrice, long per, long included) {
    }

    static final Map<String, Map<String, Price>> PLANS = Map.of(
            "pro", Map.of("requests", new Price("0.002", 1, 1000), "input_tokens", new Price("0.50", 1_000_000, 0),
                    "output_tokens", new Price("1.50", 1_000_000, 0)),
            "tokens", Map.of("input_tokens", new Price("0.0000025", 1, 100_000), "output_tokens", new Price("0.33", 1000, 0)));
    static final List<String> CONSUMERS = List.of("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell");

    record Call(String source, String id, String consumer, long time, Map<String, Long> meters) {
    }

    final HttpClient http = HttpClient.newHttpClient();
    int port;

    @Test
    void usageApiAndInvoicesAgreeWithAnIndependentComputationToTheMicroUnit(KafkaStack stack) throws Exception {
        String accountsTopic = stack.unique("billing.accounts");
        String usageTopic = stack.unique("usage.hourly");
        stack.createTopic(Topics.BILLING_ACCOUNTS.withName(accountsTopic));
        stack.createTopic(Topics.USAGE_HOURLY.withName(usageTopic));
        try (Running running = start(stack, accountsTopic, usageTopic)) {
            Map<String, String> planOf = new LinkedHashMap<>();
            for (Map.Entry<String, Map<String, Price>> plan : PLANS.entrySet()) {
                assertThat(call("PUT", "/v1/plans/" + plan.getKey(), planJson(plan.getValue())).statusCode()).isEqualTo(201);
            }
            for (int i = 0; i < CONSUMERS.size(); i++) {
                String plan = i % 3 == 2 ? "tokens" : "pro";
                planOf.put(CONSUMERS.get(i), plan);
                assertThat(call("PUT", "/v1/consumers/" + CONSUMERS.get(i), "{\"plan\": \"" + plan + "\"}").statusCode()).isEqualTo(201);
            }

            List<Call> delivered = randomCallsWithDuplicates(new Random(20261121L), 3000);
            List<UsageAggregate> hourly = rateHourByHour(delivered, planOf);
            try (KafkaProducer<String, UsageAggregate> producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers(),
                    "linger.ms", 5), new StringSerializer(), AvroSerde.forValues(UsageAggregate.class, stack.schemaRegistryUrl()).serializer())) {
                for (UsageAggregate aggregate : hourly) {
                    producer.send(new ProducerRecord<>(usageTopic, aggregate.getConsumer(), aggregate));
                }
                producer.flush();
            }
            Map<String, Map<String, Map<String, Long>>> units = distinctUnits(delivered);   // consumer -> period -> meter -> units
            long expectedHours = hourly.stream().map(a -> a.getConsumer() + a.getMeter() + a.getHourStart()).distinct().count();
            await().atMost(Duration.ofSeconds(60)).until(() -> running.usageHours() == expectedHours
                    && units(get("/v1/usage?granularity=month&from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z&limit=10000"))
                    == units.values().stream().flatMap(p -> p.values().stream()).flatMap(m -> m.values().stream()).mapToLong(Long::longValue).sum());

            BigDecimal grandTotal = BigDecimal.ZERO;
            for (String consumer : CONSUMERS) {
                JsonNode usage = get("/v1/usage?consumer=" + consumer + "&granularity=month&from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z");
                for (String period : List.of("2026-10", "2026-11")) {
                    Map<String, Long> periodUnits = units.getOrDefault(consumer, Map.of()).getOrDefault(period, Map.of());
                    Map<String, Price> prices = PLANS.get(planOf.get(consumer));
                    JsonNode invoice = get("/v1/consumers/" + consumer + "/invoices/" + period);
                    BigDecimal invoiceTotal = BigDecimal.ZERO;
                    for (JsonNode line : invoice.get("lines")) {
                        String meter = line.get("meter").asText();
                        long meterUnits = periodUnits.getOrDefault(meter, 0L);
                        BigDecimal expected = independentCharge(meterUnits, prices.get(meter));
                        assertThat(line.get("units").asLong()).as("%s %s %s units", consumer, period, meter).isEqualTo(meterUnits);
                        assertThat(new BigDecimal(line.get("amount").asText())).as("%s %s %s amount", consumer, period, meter)
                                .isEqualByComparingTo(expected);
                        invoiceTotal = invoiceTotal.add(expected);
                        BigDecimal usageAmount = usageAmount(usage, meter, period);
                        assertThat(usageAmount).as("usage API %s %s %s", consumer, period, meter).isEqualByComparingTo(expected);
                    }
                    assertThat(new BigDecimal(invoice.get("total").asText())).as("%s %s total", consumer, period).isEqualByComparingTo(invoiceTotal);
                    grandTotal = grandTotal.add(invoiceTotal);
                }
            }
            assertThat(grandTotal).isPositive();

            BigDecimal pagedTotal = BigDecimal.ZERO;
            String cursor = null;
            int pages = 0;
            do {
                JsonNode page = get("/v1/usage?granularity=day&from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z&limit=37"
                        + (cursor == null ? "" : "&cursor=" + cursor));
                for (JsonNode item : page.get("items")) {
                    pagedTotal = pagedTotal.add(new BigDecimal(item.get("amount").asText()));
                }
                cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
                pages++;
            } while (cursor != null);
            assertThat(pages).isGreaterThan(10);
            assertThat(pagedTotal).isEqualByComparingTo(grandTotal);
        }
    }

    /** Calls over October's last day and November, 15% delivered twice (a retry or a second path). */
    static List<Call> randomCallsWithDuplicates(Random random, int distinct) {
        long from = Instant.parse("2026-10-31T00:00:00Z").toEpochMilli();
        long to = Instant.parse("2026-12-01T00:00:00Z").toEpochMilli();
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < distinct; i++) {
            Map<String, Long> meters = new TreeMap<>();
            meters.put("requests", 1L);
            if (random.nextInt(3) > 0) {
                meters.put("input_tokens", (long) random.nextInt(90_000));
                meters.put("output_tokens", (long) random.nextInt(7_000));
            }
            Call call = new Call("gw-" + random.nextInt(3), "req-" + i, CONSUMERS.get(random.nextInt(CONSUMERS.size())),
                    from + (long) (random.nextDouble() * (to - from)), meters);
            calls.add(call);
            if (random.nextInt(100) < 15) {
                calls.add(call);
            }
        }
        return calls;
    }

    static Map<String, Map<String, Map<String, Long>>> distinctUnits(List<Call> calls) {
        Map<String, Map<String, Map<String, Long>>> units = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (Call call : calls) {
            if (seen.add(call.source() + "/" + call.id())) {
                call.meters().forEach((meter, n) -> units.computeIfAbsent(call.consumer(), c -> new HashMap<>())
                        .computeIfAbsent(Periods.periodOf(Periods.MONTH, call.time()), p -> new HashMap<>()).merge(meter, n, Long::sum));
            }
        }
        return units;
    }

    /** As metering-streams publishes usage.hourly: running hour totals, each hour carrying the increase of its period's charge. */
    static List<UsageAggregate> rateHourByHour(List<Call> calls, Map<String, String> planOf) {
        Set<String> seen = new HashSet<>();
        Map<String, Long> periodUnits = new HashMap<>();
        Map<String, Long> periodAmounts = new HashMap<>();
        Map<String, long[]> hours = new LinkedHashMap<>();
        List<UsageAggregate> published = new ArrayList<>();
        for (Call call : calls) {
            if (!seen.add(call.source() + "/" + call.id())) {
                continue;
            }
            long hour = Periods.hourStart(call.time());
            String period = Periods.periodOf(Periods.MONTH, call.time());
            for (Map.Entry<String, Long> meter : call.meters().entrySet()) {
                String periodKey = call.consumer() + "/" + period + "/" + meter.getKey();
                long total = periodUnits.merge(periodKey, meter.getValue(), Long::sum);
                Price price = PLANS.get(planOf.get(call.consumer())).get(meter.getKey());
                long amount = price == null ? 0 : independentCharge(total, price).movePointRight(6).longValueExact();
                long increase = amount - periodAmounts.getOrDefault(periodKey, 0L);
                periodAmounts.put(periodKey, amount);
                long[] hourTotal = hours.computeIfAbsent(call.consumer() + "/" + meter.getKey() + "/" + hour, k -> new long[3]);
                hourTotal[0] += meter.getValue();
                hourTotal[1]++;
                hourTotal[2] += increase;
                published.add(UsageAggregate.newBuilder().setConsumer(call.consumer()).setMeter(meter.getKey())
                        .setHourStart(Instant.ofEpochMilli(hour)).setUnits(hourTotal[0]).setEvents(hourTotal[1]).setAmountMicros(hourTotal[2])
                        .setCurrency("USD").setUpdatedAt(Instant.ofEpochMilli(call.time())).build());
            }
        }
        return published;
    }

    static BigDecimal independentCharge(long units, Price price) {
        if (price == null) {
            return BigDecimal.ZERO;
        }
        return BigDecimal.valueOf(Math.max(0, units - price.included())).multiply(new BigDecimal(price.unitPrice()))
                .divide(BigDecimal.valueOf(price.per()), 6, RoundingMode.HALF_UP);
    }

    static String planJson(Map<String, Price> meters) {
        StringBuilder json = new StringBuilder("{\"currency\": \"USD\", \"period\": \"month\", \"meters\": {");
        meters.forEach((meter, price) -> json.append('"').append(meter).append("\": {\"unitPrice\": \"").append(price.unitPrice())
                .append("\", \"per\": ").append(price.per()).append(", \"included\": ").append(price.included()).append("},"));
        json.setLength(json.length() - 1);
        return json.append("}}").toString();
    }

    static long units(JsonNode page) {
        long sum = 0;
        for (JsonNode item : page.get("items")) {
            sum += item.get("units").asLong();
        }
        return sum;
    }

    static BigDecimal usageAmount(JsonNode usage, String meter, String period) {
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode item : usage.get("items")) {
            if (item.get("meter").asText().equals(meter) && item.get("start").asText().startsWith(period)) {
                sum = sum.add(new BigDecimal(item.get("amount").asText()));
            }
        }
        return sum;
    }

    interface Running extends AutoCloseable {
        int usageHours();

        @Override
        void close();
    }

    Running start(KafkaStack stack, String accountsTopic, String usageTopic) {
        BillingConfig config = new BillingConfig(Map.of(
                EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers(),
                EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                BillingConfig.ADMIN_TOKENS, TOKEN,
                BillingConfig.ACCOUNTS_TOPIC, accountsTopic,
                BillingConfig.USAGE_HOURLY_TOPIC, usageTopic));
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AccountsModule module = new AccountsModule(config, metrics, consumer -> Optional.empty());
        Vertx vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        module.mount(router);
        port = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().join().actualPort();
        module.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> module.readiness().ready());
        return new Running() {
            @Override
            public int usageHours() {
                JsonNode all;
                try {
                    all = get("/v1/usage?granularity=hour&from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z&limit=10000");
                } catch (IOException | InterruptedException e) {
                    return -1;
                }
                return all.get("items").size();
            }

            @Override
            public void close() {
                module.close();
                vertx.close().toCompletionStage().toCompletableFuture().join();
            }
        };
    }

    HttpResponse<String> call(String method, String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = call("GET", path, null);
        assertThat(response.statusCode()).as(path + " -> " + response.body()).isEqualTo(200);
        return AccountJson.JSON.readTree(response.body());
    }
}
