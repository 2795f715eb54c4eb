package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.tollgate.schemas.topics.Topics;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Random good and bad payloads for every ingest door (HTTP endpoints and raw topics). A good case says which calls
 * it must add to the balances; a bad one whether it must be refused over HTTP (4xx) or dead-lettered (raw topic).
 * A raw record mixing good and bad elements publishes the good ones and dead-letters the record.
 */
final class IngestFuzz {
    static final List<String> CONSUMERS = List.of("fuzz-a", "fuzz-b", "fuzz-c", "fuzz-d");
    private static final int OVERSIZED_BYTES = 6 * 1024 * 1024;
    private static final int MAX_OVERSIZED = 2;

    enum Door {
        EVENTS_JSON(DemoTraffic.EVENTS_PATH, DemoTraffic.JSON, null),
        EVENTS_CLOUDEVENT(DemoTraffic.EVENTS_PATH, DemoTraffic.CLOUDEVENT, null),
        EVENTS_CLOUDEVENT_BATCH(DemoTraffic.EVENTS_PATH, DemoTraffic.CLOUDEVENT_BATCH, null),
        KONG(DemoTraffic.KONG_PATH, DemoTraffic.JSON, null),
        APISIX(DemoTraffic.APISIX_PATH, DemoTraffic.JSON, null),
        APISIX_LINES(DemoTraffic.APISIX_PATH, DemoTraffic.NDJSON, null),
        APIPARK("/v1/events/apipark", DemoTraffic.JSON, null),
        AWS_FIREHOSE("/v1/events/aws-firehose", DemoTraffic.JSON, null),
        KONG_TOPIC(null, null, Topics.KONG_LOGS.name()),
        APISIX_TOPIC(null, null, Topics.APISIX_LOGS.name()),
        CLOUDEVENTS_TOPIC(null, null, Topics.CLOUDEVENTS.name()),
        APIPARK_TOPIC(null, null, Topics.APIPARK_LOGS.name()),
        AWS_TOPIC(null, null, Topics.AWS_LOGS.name());

        final String path;
        final String contentType;
        final String topic;

        Door(String path, String contentType, String topic) {
            this.path = path;
            this.contentType = contentType;
            this.topic = topic;
        }

        boolean http() {
            return path != null;
        }

        /** AWS API Gateway logs carry no token counts. */
        boolean tokens() {
            return this != AWS_FIREHOSE && this != AWS_TOPIC;
        }
    }

    enum Expect { ACCEPTED, REFUSED, DEAD_LETTER }

    /** {@code body} null only for a raw tombstone; {@code counted} are the calls the balances must show. */
    record Case(String description, Door door, String contentType, byte[] body, Expect expect, List<GatewayCall> counted) {
    }

    private final ObjectMapper json;
    private final GatewayPayloads payloads;
    private final Random random;
    private int oversized;

    IngestFuzz(ObjectMapper json, long seed) {
        this.json = json;
        this.payloads = new GatewayPayloads(json);
        this.random = new Random(seed);
    }

    Case next(Instant now) {
        Door door = Door.values()[random.nextInt(Door.values().length)];
        return random.nextBoolean() ? good(door, now) : bad(door, now);
    }

    Case good(Door door, Instant now) {
        List<GatewayCall> calls = new ArrayList<>();
        int count = door == Door.EVENTS_CLOUDEVENT || door == Door.AWS_TOPIC ? 1 : 1 + random.nextInt(4);
        for (int i = 0; i < count; i++) {
            calls.add(call(now, door));
        }
        List<ObjectNode> elements = calls.stream().map(call -> respell(element(door, call))).toList();
        byte[] body = switch (door) {
            case EVENTS_CLOUDEVENT -> payloads.bytes(elements.get(0));
            case APISIX_LINES -> payloads.newlineDelimited(elements);
            case AWS_FIREHOSE -> firehose(elements.stream().map(payloads::bytes).toList());
            case AWS_TOPIC -> payloads.bytes(elements.get(0));
            case EVENTS_CLOUDEVENT_BATCH -> payloads.bytes(payloads.array(elements));
            default -> elements.size() == 1 && random.nextBoolean() ? payloads.bytes(elements.get(0)) : payloads.bytes(payloads.array(elements));
        };
        return new Case("good: " + count + " call(s)", door, door.contentType, body, Expect.ACCEPTED, calls);
    }

    Case bad(Door door, Instant now) {
        Expect refusal = door.http() ? Expect.REFUSED : Expect.DEAD_LETTER;
        GatewayCall call = call(now, door);
        ObjectNode element = element(door, call);
        int kind = random.nextInt(15);
        switch (kind) {
            case 0: {
                byte[] whole = payloads.bytes(element);
                int cut = 1 + random.nextInt(whole.length - 1);
                return bad("truncated JSON at byte " + cut, door, java.util.Arrays.copyOf(whole, cut), refusal);
            }
            case 1: {
                String text = List.of("<event><id>1</id></event>", "hello, gateway", "id=1&consumer=acme", "{'id': 1}",
                        "{\"id\": 1,}", "[1, 2", "NaN").get(random.nextInt(7));
                return bad("not JSON: " + text, door, text.getBytes(StandardCharsets.UTF_8), refusal);
            }
            case 2: {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                byte[] prefix = "{\"id\": \"".getBytes(StandardCharsets.UTF_8);
                bytes.write(prefix, 0, prefix.length);
                bytes.write(0xC3);
                bytes.write(0x28);
                byte[] suffix = "\", \"consumer\": \"fuzz-a\"}".getBytes(StandardCharsets.UTF_8);
                bytes.write(suffix, 0, suffix.length);
                return bad("invalid UTF-8", door, bytes.toByteArray(), refusal);
            }
            case 3: {
                int depth = 2_000 + random.nextInt(20_000);
                return bad("nesting " + depth + " deep", door, ("[".repeat(depth) + "]".repeat(depth)).getBytes(StandardCharsets.UTF_8), refusal);
            }
            case 4: {
                String scalar = List.of("42", "\"an event\"", "null", "true", "-1").get(random.nextInt(5));
                return bad("a JSON scalar: " + scalar, door, scalar.getBytes(StandardCharsets.UTF_8), refusal);
            }
            case 5:
                return badField(door, element, "wrong type", List.of(json.createObjectNode().put("a", 1),
                        json.createArrayNode().add(1).add(2), json.getNodeFactory().booleanNode(true), TextNode.valueOf("many")), refusal);
            case 6:
                return badField(door, element, "huge number", List.of(DecimalNode.valueOf(new BigDecimal("1E+400")),
                        BigIntegerNode.valueOf(new BigInteger("123456789012345678901234567890")), TextNode.valueOf("9e99"),
                        DecimalNode.valueOf(new BigDecimal("9223372036854775808"))), refusal);
            case 7:
                return badField(door, element, "negative units", List.of(json.getNodeFactory().numberNode(-5),
                        TextNode.valueOf("-12"), DecimalNode.valueOf(new BigDecimal("-1E+3"))), refusal);
            case 8:
                return badField(door, element, "fractional units", List.of(json.getNodeFactory().numberNode(2.5),
                        TextNode.valueOf("0.5")), refusal);
            case 9:
                return badTime(door, element, refusal);
            case 10: {
                ObjectNode broken = element(door, call(now, door));
                setTokens(door, broken, TextNode.valueOf("lots"));
                List<GatewayCall> goods = List.of(call(now, door), call(now, door));
                ArrayNode mixed = payloads.array(List.of(element(door, goods.get(0)), broken, element(door, goods.get(1))));
                List<ObjectNode> elements = List.of(element(door, goods.get(0)), broken, element(door, goods.get(1)));
                byte[] body = switch (door) {
                    case APISIX_LINES -> payloads.newlineDelimited(elements);
                    case AWS_FIREHOSE -> firehose(elements.stream().map(payloads::bytes).toList());
                    default -> payloads.bytes(mixed);
                };
                String type = door == Door.EVENTS_CLOUDEVENT ? DemoTraffic.CLOUDEVENT_BATCH : door.contentType;
                return new Case("batch of 2 good and 1 bad element", door, type, body, refusal,
                        door.http() ? List.of() : goods);
            }
            case 11: {
                if (door.http()) {
                    return new Case("empty body", door, door.contentType, new byte[0], refusal, List.of());
                }
                return new Case(random.nextBoolean() ? "empty record" : "tombstone (no value)", door, null,
                        random.nextBoolean() ? new byte[0] : null, refusal, List.of());
            }
            case 12: {
                if (door.http() && oversized < MAX_OVERSIZED) {
                    oversized++;
                    element.put("padding", "x".repeat(OVERSIZED_BYTES));
                    return bad("oversized body (6 MiB)", door, payloads.bytes(element), refusal);
                }
                return badField(door, element, "wrong type", List.of(json.createArrayNode()), refusal);
            }
            case 13: {
                if (door.http() && door != Door.AWS_FIREHOSE) {
                    String type = List.of("application/xml", "text/html", "multipart/form-data; boundary=x").get(random.nextInt(3));
                    return new Case("content type " + type, door, type, payloads.bytes(element), refusal, List.of());
                }
                return badTime(door, element, refusal);
            }
            default: {
                if (door == Door.EVENTS_JSON || door == Door.EVENTS_CLOUDEVENT || door == Door.EVENTS_CLOUDEVENT_BATCH
                        || door == Door.CLOUDEVENTS_TOPIC) {
                    String field = random.nextBoolean() ? "id" : (door == Door.EVENTS_JSON ? "consumer" : "subject");
                    element.remove(field);
                    return badElement("no " + field, door, element, refusal);
                }
                return badTime(door, element, refusal);
            }
        }
    }

    /** On the Firehose door, broken bytes go either as the whole body or as one record's data. */
    private Case bad(String description, Door door, byte[] body, Expect expect) {
        if (door == Door.AWS_FIREHOSE && body.length < OVERSIZED_BYTES && random.nextBoolean()) {
            return new Case(description + ", as a Firehose record", door, door.contentType, firehose(List.of(body)), expect, List.of());
        }
        return new Case(description, door, door.contentType, body, expect, List.of());
    }

    private Case badElement(String description, Door door, ObjectNode element, Expect expect) {
        return new Case(description, door, door.contentType, body(door, element), expect, List.of());
    }

    private byte[] firehose(List<byte[]> lines) {
        return payloads.bytes(payloads.firehoseDelivery(UUID.randomUUID().toString(), System.currentTimeMillis(), lines));
    }

    private Case badField(Door door, ObjectNode element, String what, List<JsonNode> values, Expect expect) {
        JsonNode value = values.get(random.nextInt(values.size()));
        setTokens(door, element, value);
        return badElement(what + ": a meter of " + value, door, element, expect);
    }

    private Case badTime(Door door, ObjectNode element, Expect expect) {
        switch (door) {
            case KONG, KONG_TOPIC -> element.put("started_at", "soon");
            case APISIX, APISIX_LINES, APISIX_TOPIC -> element.put("start_time", -5);
            case APIPARK, APIPARK_TOPIC -> element.put("msec", "later");
            case AWS_FIREHOSE, AWS_TOPIC -> element.put("requestTimeEpoch", "yesterday");
            default -> element.put("time", "yesterday at noon");
        }
        return badElement("unreadable time", door, element, expect);
    }

    private byte[] body(Door door, ObjectNode element) {
        return switch (door) {
            case EVENTS_CLOUDEVENT_BATCH -> payloads.bytes(payloads.array(List.of(element)));
            case AWS_FIREHOSE -> firehose(List.of(payloads.bytes(element)));
            default -> payloads.bytes(element);
        };
    }

    private ObjectNode element(Door door, GatewayCall call) {
        return switch (door) {
            case EVENTS_JSON -> payloads.canonical(call);
            case EVENTS_CLOUDEVENT, EVENTS_CLOUDEVENT_BATCH, CLOUDEVENTS_TOPIC -> payloads.cloudEvent(call);
            case KONG, KONG_TOPIC -> payloads.kong(call);
            case APISIX, APISIX_LINES -> payloads.apisix(call, GatewayPayloads.ApisixRequestId.HEADER);
            case APISIX_TOPIC -> payloads.apisix(call, GatewayPayloads.ApisixRequestId.LOG_FIELD);
            case APIPARK, APIPARK_TOPIC -> payloads.apipark(call);
            case AWS_FIREHOSE, AWS_TOPIC -> payloads.awsAccessLog(call);
        };
    }

    private void setTokens(Door door, ObjectNode element, JsonNode value) {
        switch (door) {
            case KONG, KONG_TOPIC -> element.withObject("/ai/proxy/usage").set("prompt_tokens", value);
            case APISIX, APISIX_LINES, APISIX_TOPIC -> element.withObject("/llm_summary").set("prompt_tokens", value);
            case EVENTS_JSON -> element.withObject("/meters").set("input_tokens", value);
            case APIPARK, APIPARK_TOPIC -> element.set("ai_model_input_token", value);
            case AWS_FIREHOSE, AWS_TOPIC -> element.set("responseLength", value);
            default -> element.withObject("/data/meters").set("input_tokens", value);
        }
    }

    /** The same good numbers, spelled as gateways spell them: JSON numbers, numeric strings, exponent form. */
    private ObjectNode respell(ObjectNode element) {
        for (String pointer : List.of("/ai/proxy/usage/prompt_tokens", "/llm_summary/completion_tokens",
                "/meters/input_tokens", "/data/meters/output_tokens", "/ai_model_output_token")) {
            JsonNode value = element.at(pointer);
            if (!value.isNumber() || value.asLong() == 0) {
                continue;
            }
            int slash = pointer.lastIndexOf('/');
            ObjectNode parent = (ObjectNode) element.at(pointer.substring(0, slash));
            String field = pointer.substring(slash + 1);
            switch (random.nextInt(3)) {
                case 0 -> parent.put(field, String.valueOf(value.asLong()));
                case 1 -> parent.set(field, json.getNodeFactory().rawValueNode(new RawValue(exponentForm(value.asLong()))));
                default -> {
                }
            }
        }
        return element;
    }

    /** 1234 as {@code 1.234e3}, the way Lua cjson prints large numbers. */
    static String exponentForm(long value) {
        String digits = Long.toString(value);
        String fraction = digits.substring(1).replaceAll("0+$", "");
        return digits.charAt(0) + (fraction.isEmpty() ? "" : "." + fraction) + "e" + (digits.length() - 1);
    }

    private GatewayCall call(Instant now, Door door) {
        String consumer = CONSUMERS.get(random.nextInt(CONSUMERS.size()));
        boolean llm = door.tokens() && random.nextInt(3) > 0;
        long input = llm ? 1 + random.nextInt(5_000) : 0;
        long output = llm ? random.nextInt(2_000) : 0;
        return new GatewayCall(String.format("%016x%016x", random.nextLong(), random.nextLong()), consumer, "fuzz",
                "fuzz-route", "POST", "/v1/fuzz", 200, now.minusMillis(random.nextInt(10_000)), 300 + random.nextInt(900),
                200 + random.nextInt(5_000), input, output, llm ? "gpt-4o" : null, false);
    }
}
