package io.tollgate.streams;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.MeterPrice;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import io.tollgate.runtime.EnvConfig;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.schemas.topics.Topics;
import io.tollgate.streams.errors.DeadLetters;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Tag("integration")
@ExtendWith(TollgateStackExtension.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MeteringStreamsIT {
    private static final Map<String, MeterPrice> PRO = Map.of(
            "requests", new MeterPrice(2_000_000L, 1L, 1000L, null),
            "input_tokens", new MeterPrice(500_000_000L, 1_000_000L, 0L, null));
    private static final long GRANT = 100_000_000L;
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private static final String ADMIN_TOKEN = "streams-it-admin-token";

    private Map<String, Object> settings(KafkaStack stack, TopicNames topics, String applicationId, Path stateDir, int httpPort) {
        Map<String, Object> values = new HashMap<>();
        values.put(EnvConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        values.put(EnvConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        values.put(MeteringConfig.APPLICATION_ID, applicationId);
        values.put(MeteringConfig.STATE_DIR, stateDir.toString());
        values.put(MeteringConfig.HTTP_PORT, String.valueOf(httpPort));
        values.put(MeteringConfig.ADMIN_TOKENS, ADMIN_TOKEN);
        values.put(MeteringConfig.COMMIT_INTERVAL_MS, "100");
        values.put(MeteringConfig.TOPIC_USAGE_EVENTS, topics.usageEvents());
        values.put(MeteringConfig.TOPIC_BILLING_ACCOUNTS, topics.billingAccounts());
        values.put(MeteringConfig.TOPIC_BALANCES, topics.balances());
        values.put(MeteringConfig.TOPIC_USAGE_HOURLY, topics.usageHourly());
        values.put(MeteringConfig.TOPIC_DLQ, topics.deadLetters());
        return values;
    }

    private MeteringApp startInProcess(Map<String, Object> values) {
        return MeteringApp.start(new MeteringConfig(values, Map.of("session.timeout.ms", "10000")));
    }

    /** The shaded jar as a separate process, so that it can be SIGKILLed like a crashed pod. */
    private Process startJar(Map<String, Object> values, Path log) throws IOException {
        Path jar = Path.of("target", "metering-streams.jar");
        assertThat(jar).as("the shaded jar (built by 'package' before failsafe runs)").exists();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toString());
        values.forEach((name, value) -> builder.environment().put(EnvConfig.envName(name), value.toString()));
        builder.environment().put("KAFKA_SESSION_TIMEOUT_MS", "10000");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        return builder.start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean ready(int port) {
        try {
            return get(port, "/readyz").statusCode() == 200;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static boolean hostsSomeConsumer(int port, List<String> consumers) throws IOException, InterruptedException {
        for (String consumer : consumers) {
            if (get(port, "/v1/balances/" + consumer).statusCode() == 200) {
                return true;
            }
        }
        return false;
    }

    /** A consumer hosted by the other instance is answered with a 307 to that instance's application.server. */
    private static void assertRedirectsToTheSurvivor(int port, int survivorPort, List<String> consumers) throws Exception {
        List<String> redirects = new ArrayList<>();
        for (String consumer : consumers) {
            HttpResponse<String> response = get(port, "/v1/balances/" + consumer);
            if (response.statusCode() == 307) {
                redirects.add(response.headers().firstValue("Location").orElse(""));
                assertThat(response.headers().firstValue("Location"))
                        .hasValue("http://127.0.0.1:" + survivorPort + "/v1/balances/" + consumer);
            }
        }
        assertThat(redirects).isNotEmpty();
    }

    private KafkaProducer<String, byte[]> producer(KafkaStack stack) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    /** Latest value per key of a topic, read with read_committed from the beginning. */
    private static <V> Map<String, V> latest(KafkaConsumer<String, V> consumer, Function<V, String> keyOf, Map<String, V> into) {
        for (ConsumerRecord<String, V> record : consumer.poll(Duration.ofMillis(500))) {
            into.put(keyOf.apply(record.value()), record.value());
        }
        return into;
    }

    private static <V> KafkaConsumer<String, V> reader(KafkaStack stack, String topic, Deserializer<V> values) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values);
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    private void sendAccounts(KafkaProducer<String, byte[]> producer, KafkaStack stack, TopicNames topics, List<String> consumers)
            throws Exception {
        AvroSerde<AccountEvent> serde = AvroSerde.forValues(AccountEvent.class, stack.schemaRegistryUrl());
        Instant now = Instant.now();
        PlanDefined plan = new PlanDefined("pro", "USD", "month", new HashMap<>(PRO));
        for (int partition = 0; partition < Topics.CONSUMER_PARTITIONS; partition++) {
            producer.send(new ProducerRecord<>(topics.billingAccounts(), partition, "pro",
                    serde.serialize(topics.billingAccounts(), new AccountEvent("plan-" + partition, now, plan)))).get();
        }
        for (String consumer : consumers) {
            producer.send(new ProducerRecord<>(topics.billingAccounts(), consumer, serde.serialize(topics.billingAccounts(),
                    new AccountEvent("cu-" + consumer, now, new ConsumerUpdated(consumer, "pro", "active", "prepaid", null))))).get();
            for (int copy = 0; copy < 2; copy++) {
                producer.send(new ProducerRecord<>(topics.billingAccounts(), consumer, serde.serialize(topics.billingAccounts(),
                        new AccountEvent("cg-" + consumer + copy, now, new CreditsGranted(consumer, GRANT, "topup-1", null))))).get();
            }
        }
    }

    private static UsageEvent event(String consumer, String id, Instant time, Map<String, Long> meters) {
        return UsageEvent.newBuilder().setId(id).setSource("gw-it").setConsumer(consumer).setGateway("canonical")
                .setEventTime(time).setIngestTime(time).setMeters(meters).build();
    }

    @Test
    void balancesAndHoursAreExactWhenOneOfTwoInstancesIsKilledMidStream(KafkaStack stack, @TempDir Path dir) throws Exception {
        TopicNames topics = TopicNames.prefixed(stack.unique("kill") + ".");
        String applicationId = stack.unique("metering-kill");
        List<String> consumers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            consumers.add("consumer-" + i);
        }
        MeteringApp survivor = startInProcess(settings(stack, topics, applicationId, dir.resolve("a"), 0));
        int victimPort = freePort();
        Process victim = startJar(settings(stack, topics, applicationId, dir.resolve("b"), victimPort), Path.of("target", "it-killed-instance.log"));
        try (KafkaProducer<String, byte[]> producer = producer(stack);
             KafkaConsumer<String, Balance> balanceReader = reader(stack, topics.balances(),
                     AvroSerde.forValues(Balance.class, stack.schemaRegistryUrl()).deserializer());
             KafkaConsumer<String, UsageAggregate> hourReader = reader(stack, topics.usageHourly(),
                     AvroSerde.forValues(UsageAggregate.class, stack.schemaRegistryUrl()).deserializer())) {
            await().atMost(Duration.ofSeconds(90)).until(() -> ready(survivor.httpPort()) && ready(victimPort));
            sendAccounts(producer, stack, topics, consumers);

            AvroSerde<UsageEvent> usageSerde = AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl());
            ExpectedTotals expected = new ExpectedTotals(PRO);
            Random random = new Random(42);
            Instant base = Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(3));
            List<UsageEvent> sent = new ArrayList<>();
            Map<String, Balance> balances = new HashMap<>();
            Map<String, Long> uniqueEvents = new HashMap<>();
            int total = 6000;
            for (int i = 0; i < total; i++) {
                String consumer = consumers.get(random.nextInt(consumers.size()));
                Map<String, Long> meters = Map.of("requests", 1L, "input_tokens", (long) random.nextInt(5000));
                UsageEvent event = event(consumer, "e-" + i, base.plusMillis(i * 1500L + random.nextInt(1000)), meters);
                expected.add(consumer, event.getEventTime().toEpochMilli(), meters);
                uniqueEvents.merge(consumer, 1L, Long::sum);
                sent.add(event);
                producer.send(new ProducerRecord<>(topics.usageEvents(), consumer, usageSerde.serialize(topics.usageEvents(), event)));
                if (i % 7 == 0) {
                    UsageEvent duplicate = sent.get(random.nextInt(sent.size()));
                    producer.send(new ProducerRecord<>(topics.usageEvents(), duplicate.getConsumer(),
                            usageSerde.serialize(topics.usageEvents(), duplicate)));
                }
                if (i == total / 2) {
                    producer.flush();
                    await().atMost(Duration.ofSeconds(60)).until(() ->
                            latest(balanceReader, Balance::getConsumer, balances).values().stream()
                                    .mapToLong(b -> b.getUsage().getOrDefault("requests", 0L)).sum() > total / 4);
                    await("the instance to kill hosts some consumers' state").atMost(Duration.ofSeconds(30))
                            .until(() -> hostsSomeConsumer(victimPort, consumers));
                    assertRedirectsToTheSurvivor(victimPort, survivor.httpPort(), consumers);
                    victim.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            }
            producer.flush();

            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                latest(balanceReader, Balance::getConsumer, balances);
                for (String consumer : consumers) {
                    ExpectedTotals.Expected want = expected.balance(consumer, GRANT);
                    Balance got = balances.get(consumer);
                    assertThat(got).as(consumer).isNotNull();
                    assertThat(got.getUsage()).as(consumer).isEqualTo(want.usage());
                    assertThat(got.getSpentMicros()).as(consumer).isEqualTo(want.spentMicros());
                    assertThat(got.getCreditsMicros()).as(consumer).isEqualTo(want.creditsMicros());
                    assertThat(got.getRemainingMicros()).as(consumer).isEqualTo(want.creditsMicros() - want.spentMicros());
                    assertThat(got.getEventsCounted()).as(consumer + ": each unique event counted once, through the SIGKILL")
                            .isEqualTo(uniqueEvents.get(consumer));
                }
            });
            Map<String, UsageAggregate> hours = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                latest(hourReader, a -> ExpectedTotals.hourKey(a.getConsumer(), a.getMeter(), a.getHourStart()), hours);
                assertThat(hours.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getUnits())))
                        .isEqualTo(expected.hourUnits);
                assertThat(hours.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getEvents())))
                        .isEqualTo(expected.hourEvents);
            });
        } finally {
            victim.destroyForcibly();
            survivor.close();
        }
    }

    @Test
    void oneInstanceAnswersQueriesAndRoutesRejectedRecordsToTheDeadLetterTopic(KafkaStack stack, @TempDir Path dir) throws Exception {
        TopicNames topics = TopicNames.prefixed(stack.unique("single") + ".");
        try (MeteringApp app = startInProcess(settings(stack, topics, stack.unique("metering-single"), dir, 0));
             KafkaProducer<String, byte[]> producer = producer(stack);
             KafkaConsumer<String, DeadLetter> letters = reader(stack, topics.deadLetters(),
                     AvroSerde.forValues(DeadLetter.class, stack.schemaRegistryUrl()).deserializer())) {
            await().atMost(Duration.ofSeconds(90)).until(() -> ready(app.httpPort()));
            sendAccounts(producer, stack, topics, List.of("acme"));
            AvroSerde<UsageEvent> usageSerde = AvroSerde.forValues(UsageEvent.class, stack.schemaRegistryUrl());
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            producer.send(new ProducerRecord<>(topics.usageEvents(), "acme", "garbage".getBytes(StandardCharsets.UTF_8))).get();
            producer.send(new ProducerRecord<>(topics.usageEvents(), "acme", usageSerde.serialize(topics.usageEvents(),
                    event("acme", "fresh", now, Map.of("requests", 1500L))))).get();
            producer.send(new ProducerRecord<>(topics.usageEvents(), "acme", usageSerde.serialize(topics.usageEvents(),
                    event("acme", "stale", now.minus(Duration.ofHours(25)), Map.of("requests", 7L))))).get();

            Map<String, DeadLetter> byStage = new HashMap<>();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                latest(letters, DeadLetter::getStage, byStage);
                assertThat(byStage).containsOnlyKeys(DeadLetters.STAGE_DESERIALIZE, DeadLetters.STAGE_TOO_LATE);
            });
            assertThat(StandardCharsets.UTF_8.decode(byStage.get(DeadLetters.STAGE_DESERIALIZE).getValue()).toString()).isEqualTo("garbage");
            assertThat(byStage.get(DeadLetters.STAGE_TOO_LATE).getTopic()).isEqualTo(topics.usageEvents());

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> response = get(app.httpPort(), "/v1/balances/acme");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).contains("\"usage\":{\"requests\":1500}", "\"spentMicros\":1000000",
                        "\"creditsMicros\":100000000", "\"remainingMicros\":99000000", "\"currency\":\"USD\"");
            });
            HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort()
                    + "/v1/balances/acme")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).as("balances take the admin token").isEqualTo(401);
            HttpResponse<String> unknown = get(app.httpPort(), "/v1/balances/nobody");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            HttpResponse<String> metrics = get(app.httpPort(), "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body().toLowerCase(Locale.ROOT)).contains("kafka_stream_");
            assertThat(get(app.httpPort(), "/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void refusesToStartWhenCoPartitionedTopicsDifferInPartitionCount(KafkaStack stack, @TempDir Path dir) {
        TopicNames topics = TopicNames.prefixed(stack.unique("mismatch") + ".");
        stack.createTopic(topics.usageEvents(), 6);
        stack.createTopic(topics.billingAccounts(), 4);
        assertThatThrownBy(() -> startInProcess(settings(stack, topics, stack.unique("metering-mismatch"), dir, 0)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("differ in partition count")
                .hasMessageContaining(topics.billingAccounts() + "=4");
    }
}
