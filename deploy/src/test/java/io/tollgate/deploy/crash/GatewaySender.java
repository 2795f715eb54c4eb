package io.tollgate.deploy.crash;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * Delivers batches the way gateways do. HTTP: canonical events (SPEC §5) to {@code POST /v1/events}, and a batch
 * that is not answered 202 (a 503, a refused or cut connection while ingest or the broker is down) is sent again,
 * byte for byte, with the same ids, until it is. Topic: a CloudEvents batch array per record on the raw topic, by an
 * idempotent producer; a record the broker never acknowledged is produced again by {@link #awaitTopicAcks}.
 */
final class GatewaySender implements AutoCloseable {
    private static final String CLOUDEVENT_TYPE = "io.tollgate.api.call";
    private static final Duration HTTP_RETRY_DEADLINE = Duration.ofMinutes(4);

    private record Produced(CrashTraffic.Batch batch, Future<RecordMetadata> ack) {
    }

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    private final URI eventsUri;
    private final String rawTopic;
    private final KafkaProducer<String, byte[]> producer;
    private final List<Produced> produced = new ArrayList<>();
    private final AtomicInteger httpRequests = new AtomicInteger();
    private final AtomicInteger httpRetries = new AtomicInteger();
    private final AtomicInteger topicResends = new AtomicInteger();
    private final Map<Integer, AtomicInteger> failedStatuses = new LinkedHashMap<>();

    GatewaySender(String ingestUrl, String bootstrapServers, String rawTopic) {
        this.eventsUri = URI.create(ingestUrl + "/v1/events");
        this.rawTopic = rawTopic;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.CLIENT_ID_CONFIG, "tollgate-crash-gateway",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 120_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000,
                // fewer "could not be established" warnings while the broker is down
                ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 3_000),
                new StringSerializer(), new ByteArraySerializer());
    }

    void send(CrashTraffic.Batch batch) {
        switch (batch.path()) {
            case HTTP -> post(batch);
            case TOPIC -> produced.add(new Produced(batch, producer.send(new ProducerRecord<>(rawTopic, null, cloudEvents(batch)))));
        }
    }

    private void post(CrashTraffic.Batch batch) {
        HttpRequest request = HttpRequest.newBuilder(eventsUri).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(canonical(batch))).build();
        AtomicInteger attempts = new AtomicInteger();
        await("ingest accepts a batch of " + batch.calls().size() + " (first id " + batch.calls().get(0).id() + ")")
                .atMost(HTTP_RETRY_DEADLINE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200)).pollInSameThread()
                .until(() -> {
                    if (attempts.getAndIncrement() > 0) {
                        httpRetries.incrementAndGet();
                    }
                    httpRequests.incrementAndGet();
                    int status = status(request);
                    if (status != 202) {
                        synchronized (failedStatuses) {
                            failedStatuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                        }
                    }
                    return status == 202;
                });
    }

    /** The status, or -1 when there was no answer (connection refused or cut, timeout). */
    private int status(HttpRequest request) throws InterruptedException {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 400 || response.statusCode() == 413) {
                throw new AssertionError("ingest refused a valid batch with " + response.statusCode() + ": " + response.body());
            }
            return response.statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Flushes, then produces again (same bytes, same ids) every record the broker did not acknowledge, until all are. */
    void awaitTopicAcks(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        List<Produced> waiting = new ArrayList<>(produced);
        produced.clear();
        while (!waiting.isEmpty()) {
            producer.flush();
            List<Produced> failed = new ArrayList<>();
            for (Produced p : waiting) {
                try {
                    p.ack().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    failed.add(p);
                } catch (TimeoutException e) {
                    throw new AssertionError("the broker did not acknowledge the raw records within " + atMost, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting for raw record acknowledgements", e);
                }
            }
            if (!failed.isEmpty() && System.nanoTime() > deadline) {
                throw new AssertionError(failed.size() + " raw records were still not acknowledged after " + atMost);
            }
            waiting = new ArrayList<>();
            for (Produced p : failed) {
                topicResends.incrementAndGet();
                waiting.add(new Produced(p.batch(), producer.send(new ProducerRecord<>(rawTopic, null, cloudEvents(p.batch())))));
            }
        }
    }

    int httpRequests() {
        return httpRequests.get();
    }

    int httpRetries() {
        return httpRetries.get();
    }

    int topicResends() {
        return topicResends.get();
    }

    /** Answers other than 202 seen, by status (-1: no answer). */
    Map<Integer, Integer> failedStatuses() {
        synchronized (failedStatuses) {
            Map<Integer, Integer> out = new LinkedHashMap<>();
            failedStatuses.forEach((status, count) -> out.put(status, count.get()));
            return out;
        }
    }

    byte[] canonical(CrashTraffic.Batch batch) {
        ArrayNode array = json.createArrayNode();
        for (CrashTraffic.Call call : batch.calls()) {
            ObjectNode event = array.addObject();
            event.put("id", call.id());
            event.put("consumer", call.consumer());
            event.put("time", call.time().toString());
            event.put("source", CrashTraffic.SOURCE);
            putCall(event, call);
        }
        return bytes(array);
    }

    byte[] cloudEvents(CrashTraffic.Batch batch) {
        ArrayNode array = json.createArrayNode();
        for (CrashTraffic.Call call : batch.calls()) {
            ObjectNode event = array.addObject();
            event.put("specversion", "1.0");
            event.put("id", call.id());
            event.put("source", CrashTraffic.SOURCE);
            event.put("type", CLOUDEVENT_TYPE);
            event.put("subject", call.consumer());
            event.put("time", call.time().toString());
            event.put("datacontenttype", "application/json");
            putCall(event.putObject("data"), call);
        }
        return bytes(array);
    }

    private static void putCall(ObjectNode target, CrashTraffic.Call call) {
        target.put("api", "orders");
        target.put("method", "POST");
        target.put("path", "/v1/orders");
        target.put("status", 201);
        ObjectNode meters = target.putObject("meters");
        call.meters().forEach(meters::put);
    }

    private byte[] bytes(Object node) {
        try {
            return json.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
