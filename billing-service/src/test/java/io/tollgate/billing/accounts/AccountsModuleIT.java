package io.tollgate.billing.accounts;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.billing.BillingConfig;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Tag("integration")
@Timeout(240)
@ExtendWith(TollgateStackExtension.class)
class AccountsModuleIT {
    static final String TOKEN = "it-admin-token";
    static final String PRO = """
            {"currency": "USD", "period": "month",
             "meters": {"requests": {"unitPrice": "0.002", "per": 1, "included": 1000},
                        "input_tokens": {"unitPrice": "0.50", "per": 1000000}}}""";

    final HttpClient http = HttpClient.newHttpClient();
    final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    record Service(AccountsModule module, int port) {
    }

    Service start(KafkaStack stack, String accountsTopic, String usageTopic) {
        BillingConfig config = new BillingConfig(Map.of(
                EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers(),
                EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl(),
                BillingConfig.ADMIN_TOKENS, "first-token," + TOKEN,
                BillingConfig.ACCOUNTS_TOPIC, accountsTopic,
                BillingConfig.USAGE_HOURLY_TOPIC, usageTopic));
        AccountsModule module = new AccountsModule(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), consumer -> Optional.empty());
        Vertx vertx = Vertx.vertx();
        running.add(() -> vertx.close().toCompletionStage().toCompletableFuture().join());
        running.add(module);
        Router router = Router.router(vertx);
        module.mount(router);
        int port = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().join().actualPort();
        module.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> module.readiness().ready());
        return new Service(module, port);
    }

    @Test
    void writesLandInBillingAccountsWithEveryPlanOnEveryPartitionAndSurviveARestart(KafkaStack stack) throws Exception {
        String accountsTopic = stack.unique("billing.accounts");
        String usageTopic = stack.unique("usage.hourly");
        stack.createTopic(Topics.BILLING_ACCOUNTS.withName(accountsTopic));
        stack.createTopic(Topics.USAGE_HOURLY.withName(usageTopic));
        Service first = start(stack, accountsTopic, usageTopic);
        String grant = "{\"amount\": \"25.00\", \"idempotencyKey\": \"topup-0001\", \"reason\": \"card payment\"}";

        assertThat(call(first, "PUT", "/v1/plans/pro", PRO).statusCode()).isEqualTo(201);
        assertThat(call(first, "PUT", "/v1/consumers/acme", "{\"plan\": \"pro\", \"billing\": \"prepaid\"}").statusCode()).isEqualTo(201);
        HttpResponse<String> granted = call(first, "POST", "/v1/consumers/acme/credits", grant);
        assertThat(granted.statusCode()).isEqualTo(201);
        assertThat(call(first, "POST", "/v1/consumers/acme/credits", grant).statusCode()).isEqualTo(200);

        List<ConsumerRecord<String, AccountEvent>> records = readAll(stack, accountsTopic);
        List<ConsumerRecord<String, AccountEvent>> plans = records.stream().filter(r -> r.value().getPayload() instanceof PlanDefined).toList();
        assertThat(plans).extracting(ConsumerRecord::partition).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
        assertThat(plans).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo("pro");
            assertThat(((PlanDefined) r.value().getPayload()).getMeters().get("requests").getIncluded()).isEqualTo(1000L);
        });
        assertThat(plans.stream().map(r -> r.value().getEventId()).distinct()).hasSize(1);
        int acmePartition = Utils.toPositive(Utils.murmur2("acme".getBytes(StandardCharsets.UTF_8))) % Topics.CONSUMER_PARTITIONS;
        List<ConsumerRecord<String, AccountEvent>> others = records.stream().filter(r -> !(r.value().getPayload() instanceof PlanDefined)).toList();
        assertThat(others).hasSize(2).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo("acme");
            assertThat(r.partition()).isEqualTo(acmePartition);
        });
        assertThat(others.get(0).value().getPayload()).isInstanceOf(ConsumerUpdated.class);
        CreditsGranted written = (CreditsGranted) others.get(1).value().getPayload();
        assertThat(written.getAmountMicros()).isEqualTo(25_000_000L);
        assertThat(written.getIdempotencyKey()).isEqualTo("topup-0001");

        first.module().close();
        Service second = start(stack, accountsTopic, usageTopic);

        HttpResponse<String> repeat = call(second, "POST", "/v1/consumers/acme/credits", grant);
        assertThat(repeat.statusCode()).isEqualTo(200);
        assertThat(repeat.body()).isEqualTo(granted.body());
        assertThat(call(second, "POST", "/v1/consumers/acme/credits", grant.replace("25.00", "26.00")).statusCode()).isEqualTo(409);
        assertThat(json(call(second, "GET", "/v1/consumers/acme", null).body()).get("plan").asText()).isEqualTo("pro");
        assertThat(call(second, "PUT", "/v1/plans/pro", PRO).statusCode()).isEqualTo(200);
        assertThat(readAll(stack, accountsTopic)).hasSize(records.size());
    }

    @Test
    void usageAndInvoicesFollowUsageHourly(KafkaStack stack) throws Exception {
        String accountsTopic = stack.unique("billing.accounts");
        String usageTopic = stack.unique("usage.hourly");
        stack.createTopic(Topics.BILLING_ACCOUNTS.withName(accountsTopic));
        stack.createTopic(Topics.USAGE_HOURLY.withName(usageTopic));
        Service service = start(stack, accountsTopic, usageTopic);
        call(service, "PUT", "/v1/plans/pro", PRO);
        call(service, "PUT", "/v1/consumers/acme", "{\"plan\": \"pro\"}");

        try (KafkaProducer<String, UsageAggregate> producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringSerializer(), AvroSerde.forValues(UsageAggregate.class, stack.schemaRegistryUrl()).serializer())) {
            for (long units : new long[] {900, 1600}) {
                producer.send(new ProducerRecord<>(usageTopic, "acme", UsageAggregate.newBuilder().setConsumer("acme").setMeter("requests")
                        .setHourStart(Instant.parse("2026-11-21T10:00:00Z")).setUnits(units).setEvents(units)
                        .setAmountMicros(units > 1000 ? (units - 1000) * 2000 : 0).setCurrency("USD")
                        .setUpdatedAt(Instant.parse("2026-11-21T10:59:00Z")).build())).get();
            }
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(json(call(service, "GET",
                "/v1/usage?consumer=acme&from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=month", null).body()).get("items"))
                .isEqualTo(json("[{\"consumer\": \"acme\", \"meter\": \"requests\", \"start\": \"2026-11-01T00:00:00Z\", \"units\": 1600, \"amount\": \"1.20\"}]")));
        JsonNode invoice = json(call(service, "GET", "/v1/consumers/acme/invoices/2026-11", null).body());
        assertThat(invoice.get("total").asText()).isEqualTo("1.20");
        assertThat(invoice.at("/lines/1/billable").asLong()).isEqualTo(600L);
    }

    HttpResponse<String> call(Service service, String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String text) throws IOException {
        return AccountJson.JSON.readTree(text);
    }

    static List<ConsumerRecord<String, AccountEvent>> readAll(KafkaStack stack, String topic) {
        try (KafkaConsumer<String, AccountEvent> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", stack.bootstrapServers()),
                new StringDeserializer(), AvroSerde.forValues(AccountEvent.class, stack.schemaRegistryUrl()).deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, AccountEvent>> records = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
            records.sort(java.util.Comparator.comparingLong((ConsumerRecord<String, AccountEvent> r) -> r.value().getTime().toEpochMilli())
                    .thenComparingInt(ConsumerRecord::partition));
            return records;
        }
    }
}
