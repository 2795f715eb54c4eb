package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tollgate.schemas.topics.Topics;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The demo's scripted traffic, round by round. Sizes and token counts come from a fixed seed, so every run tells the
 * same story; call ids are new per run, so a second run against a long-lived stack is not taken for duplicates.
 *
 * <p>Every round sends, per consumer: acme 5 Kong http-log batches of 60 over HTTP (2 of them rate-limited by Kong
 * itself in the first batch) and one kafka-log array of 60; umbrella 20 Kong AI-proxy records on the Kong topic;
 * globex 2 APISIX http-logger batches of 50 and one kafka-logger array of 40; initech 8 LLM calls of 1,500 input
 * and 2,000 output tokens as canonical events and CloudEvents. Some rounds repeat a delivery, by HTTP or through the
 * other path, the way gateway retries do.
 */
final class DemoTraffic {
    static final int ROUNDS = 4;
    static final String KONG_PATH = "/v1/events/kong";
    static final String APISIX_PATH = "/v1/events/apisix";
    static final String EVENTS_PATH = "/v1/events";
    static final String JSON = "application/json";
    static final String NDJSON = "text/plain";
    static final String CLOUDEVENT = "application/cloudevents+json";
    static final String CLOUDEVENT_BATCH = "application/cloudevents-batch+json";

    static final int KONG_HTTP_BATCHES = 5;
    static final int KONG_BATCH_SIZE = 60;
    static final int RATE_LIMITED_PER_ROUND = 2;
    static final int KONG_AI_CALLS = 20;
    static final int APISIX_HTTP_BATCHES = 2;
    static final int APISIX_BATCH_SIZE = 50;
    static final int APISIX_TOPIC_BATCH = 40;
    static final long INITECH_INPUT_TOKENS = 1_500;
    static final long INITECH_OUTPUT_TOKENS = 2_000;

    private final GatewayPayloads payloads;
    private final String kongTopic;
    private final String apisixTopic;
    private final Random sizes;
    private final Random ids;

    DemoTraffic(GatewayPayloads payloads, long seed) {
        this(payloads, seed, Topics.KONG_LOGS.name(), Topics.APISIX_LOGS.name());
    }

    DemoTraffic(GatewayPayloads payloads, long seed, String kongTopic, String apisixTopic) {
        this.payloads = payloads;
        this.kongTopic = kongTopic;
        this.apisixTopic = apisixTopic;
        this.sizes = new Random(seed);
        this.ids = new Random(UUID.randomUUID().getMostSignificantBits());
    }

    /** The deliveries of round {@code number} (1-based), with calls timed just before {@code now}. */
    List<Delivery> round(int number, Instant now) {
        List<Delivery> deliveries = new ArrayList<>();
        Instant notBefore = YearMonth.from(now.atZone(ZoneOffset.UTC)).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();

        List<Delivery.Http> kongBatches = new ArrayList<>();
        for (int batch = 0; batch < KONG_HTTP_BATCHES; batch++) {
            List<GatewayCall> calls = new ArrayList<>();
            for (int i = 0; i < KONG_BATCH_SIZE; i++) {
                boolean rateLimited = batch == 0 && i < RATE_LIMITED_PER_ROUND;
                calls.add(restCall(DemoConsumer.ACME.id(), "orders", kongId(), rateLimited, now, notBefore));
            }
            Delivery.Http delivery = new Delivery.Http("Kong http-log batch of " + calls.size() + " (acme)",
                    KONG_PATH, JSON, payloads.bytes(payloads.array(calls.stream().map(payloads::kong).toList())), calls);
            kongBatches.add(delivery);
            deliveries.add(delivery);
        }
        List<GatewayCall> kongTopicCalls = new ArrayList<>();
        for (int i = 0; i < KONG_BATCH_SIZE; i++) {
            kongTopicCalls.add(restCall(DemoConsumer.ACME.id(), "orders", kongId(), false, now, notBefore));
        }
        deliveries.add(new Delivery.Topic("Kong kafka-log array of " + kongTopicCalls.size() + " (acme)", kongTopic, null,
                payloads.bytes(payloads.array(kongTopicCalls.stream().map(payloads::kong).toList())), kongTopicCalls));
        if (number == 2) {
            Delivery.Http first = kongBatches.get(1);
            deliveries.add(new Delivery.Topic("duplicate: Kong batch of " + first.calls().size()
                    + " again, via the topic (acme)", kongTopic, null, first.body(), first.calls()));
        }
        if (number == 3) {
            Delivery.Http retried = kongBatches.get(2);
            deliveries.add(new Delivery.Http("duplicate: Kong http-log retries a batch of " + retried.calls().size() + " (acme)",
                    retried.path(), retried.contentType(), retried.body(), retried.calls()));
        }

        GatewayCall lastAiCall = null;
        for (int i = 0; i < KONG_AI_CALLS; i++) {
            GatewayCall call = llmCall(DemoConsumer.UMBRELLA.id(), "chat", kongId(), 200 + sizes.nextInt(2_800),
                    40 + sizes.nextInt(760), now, notBefore);
            deliveries.add(new Delivery.Topic("Kong AI Proxy log (umbrella)", kongTopic, DemoConsumer.UMBRELLA.id(),
                    payloads.bytes(payloads.kong(call)), List.of(call)));
            lastAiCall = call;
        }
        if (number == 4) {
            deliveries.add(new Delivery.Topic("duplicate: Kong AI Proxy log produced twice (umbrella)", kongTopic,
                    DemoConsumer.UMBRELLA.id(), payloads.bytes(payloads.kong(lastAiCall)), List.of(lastAiCall)));
        }

        List<Delivery.Http> apisixBatches = new ArrayList<>();
        for (int batch = 0; batch < APISIX_HTTP_BATCHES; batch++) {
            List<GatewayCall> calls = globexCalls(APISIX_BATCH_SIZE, now, notBefore);
            List<ObjectNode> entries = calls.stream()
                    .map(call -> payloads.apisix(call, GatewayPayloads.ApisixRequestId.HEADER)).toList();
            boolean newline = number == 2 && batch == 1;
            Delivery.Http delivery = newline
                    ? new Delivery.Http("APISIX http-logger batch of " + calls.size() + ", newline-delimited (globex)",
                            APISIX_PATH, NDJSON, payloads.newlineDelimited(entries), calls)
                    : new Delivery.Http("APISIX http-logger batch of " + calls.size() + " (globex)",
                            APISIX_PATH, JSON, payloads.bytes(payloads.array(entries)), calls);
            apisixBatches.add(delivery);
            deliveries.add(delivery);
        }
        List<GatewayCall> apisixTopicCalls = globexCalls(APISIX_TOPIC_BATCH, now, notBefore);
        deliveries.add(new Delivery.Topic("APISIX kafka-logger array of " + apisixTopicCalls.size() + " (globex)",
                apisixTopic, null, payloads.bytes(payloads.array(apisixTopicCalls.stream()
                        .map(call -> payloads.apisix(call, GatewayPayloads.ApisixRequestId.LOG_FIELD)).toList())),
                apisixTopicCalls));
        if (number == 3) {
            Delivery.Http first = apisixBatches.get(0);
            deliveries.add(new Delivery.Topic("duplicate: APISIX batch of " + first.calls().size()
                    + " again, via the topic (globex)", apisixTopic, null, first.body(), first.calls()));
        }

        List<GatewayCall> canonical = initechCalls(4, now, notBefore);
        Delivery.Http canonicalBatch = new Delivery.Http("canonical events, " + canonical.size() + " LLM calls (initech)",
                EVENTS_PATH, JSON, payloads.bytes(payloads.array(canonical.stream().map(payloads::canonical).toList())),
                canonical);
        deliveries.add(canonicalBatch);
        if (number == 1) {
            deliveries.add(new Delivery.Http("duplicate: canonical batch retried by the client (initech)", EVENTS_PATH, JSON,
                    canonicalBatch.body(), canonical));
        }
        List<GatewayCall> batched = initechCalls(3, now, notBefore);
        deliveries.add(new Delivery.Http("CloudEvents batch of " + batched.size() + " (initech)", EVENTS_PATH,
                CLOUDEVENT_BATCH, payloads.bytes(payloads.array(batched.stream().map(payloads::cloudEvent).toList())),
                batched));
        GatewayCall single = initechCalls(1, now, notBefore).get(0);
        deliveries.add(new Delivery.Http("one CloudEvent (initech)", EVENTS_PATH, CLOUDEVENT,
                payloads.bytes(payloads.cloudEvent(single)), List.of(single)));
        return deliveries;
    }

    private List<GatewayCall> globexCalls(int count, Instant now, Instant notBefore) {
        List<GatewayCall> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(i % 5 == 4
                    ? llmCall(DemoConsumer.GLOBEX.id(), "copilot", UUID.nameUUIDFromBytes(nextBytes()).toString(),
                            300 + sizes.nextInt(3_700), 80 + sizes.nextInt(1_200), now, notBefore)
                    : restCall(DemoConsumer.GLOBEX.id(), "inventory", UUID.nameUUIDFromBytes(nextBytes()).toString(),
                            false, now, notBefore));
        }
        return calls;
    }

    private List<GatewayCall> initechCalls(int count, Instant now, Instant notBefore) {
        List<GatewayCall> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(new GatewayCall("evt-" + UUID.nameUUIDFromBytes(nextBytes()), DemoConsumer.INITECH.id(), "agent",
                    "agent-completions", "POST", "/v1/chat/completions", 200, time(now, notBefore), 2_400, 9_100,
                    INITECH_INPUT_TOKENS, INITECH_OUTPUT_TOKENS, "gpt-4o", false));
        }
        return calls;
    }

    private GatewayCall restCall(String consumer, String api, String id, boolean rateLimited, Instant now, Instant notBefore) {
        int pick = sizes.nextInt(20);
        String method = pick < 12 ? "GET" : pick < 18 ? "POST" : "DELETE";
        String path = switch (method) {
            case "POST" -> "/v1/" + api;
            default -> "/v1/" + api + "/" + (10_000 + sizes.nextInt(90_000));
        };
        int status = rateLimited ? 429 : method.equals("POST") ? 201 : pick == 11 ? 404 : method.equals("DELETE") ? 204 : 200;
        long responseBytes = rateLimited ? 254 : 380 + sizes.nextInt(9_600);
        return new GatewayCall(id, consumer, api, api + "-route", method, path, status, time(now, notBefore),
                180 + sizes.nextInt(900), responseBytes, 0, 0, null, rateLimited);
    }

    private GatewayCall llmCall(String consumer, String api, String id, long inputTokens, long outputTokens,
                                Instant now, Instant notBefore) {
        return new GatewayCall(id, consumer, api, api + "-completions", "POST", "/v1/chat/completions", 200,
                time(now, notBefore), 600 + inputTokens * 4, 300 + outputTokens * 4, inputTokens, outputTokens,
                "gpt-4o", false);
    }

    private Instant time(Instant now, Instant notBefore) {
        Instant time = now.minusMillis(sizes.nextInt(5_000));
        return time.isBefore(notBefore) ? notBefore : time;
    }

    private String kongId() {
        return String.format("%016x%016x", ids.nextLong(), ids.nextLong());
    }

    private byte[] nextBytes() {
        byte[] bytes = new byte[16];
        ids.nextBytes(bytes);
        return bytes;
    }
}
