package io.tollgate.schemas.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small client for the Confluent Schema Registry REST API (Confluent's own client is not on Maven
 * Central). Speaks {@code application/vnd.schemaregistry.v1+json}, retries 5xx and I/O errors with
 * exponential backoff, and caches ids and schemas so that serializing and deserializing never call the
 * registry after the first record of a schema. Thread-safe.
 */
public final class SchemaRegistryClient implements SchemaRegistry {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryClient.class);
    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final RegistryConfig config;
    private final String baseUrl;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public SchemaRegistryClient(RegistryConfig config) {
        this.config = config;
        this.baseUrl = withoutUserInfo(config.baseUrl());
        this.http = HttpClient.newBuilder().connectTimeout(config.requestTimeout()).build();
        this.authorization = authorizationHeader(config);
    }

    public RegistryConfig config() {
        return config;
    }

    /** Registers {@code schema} under {@code subject} (or finds it if already there) and returns its global id. Cached. */
    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + enc(subject) + "/versions", schemaBody(schema));
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException(200, 0, "register answered without an id: " + answer);
        }
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /** Looks up the id of {@code schema} under {@code subject} without registering it. Cached. */
    @Override
    public int lookup(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("POST", "/subjects/" + enc(subject), schemaBody(schema));
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException(200, 0, "lookup answered without an id: " + answer);
        }
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    /** The schema with global id {@code id}. Cached forever: ids are immutable. */
    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        Schema schema = parse(answer, "schema id " + id);
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    /** The latest version registered under {@code subject}. Not cached: it changes. */
    public RegisteredSchema latest(String subject) {
        JsonNode answer = send("GET", "/subjects/" + enc(subject) + "/versions/latest", null);
        Schema schema = parse(answer, "subject " + subject);
        int id = answer.path("id").asInt();
        schemasById.putIfAbsent(id, schema);
        return new RegisteredSchema(answer.path("subject").asText(subject), id, answer.path("version").asInt(), schema);
    }

    /** Whether {@code schema} is compatible with the latest version of {@code subject} under its compatibility level. */
    public boolean isCompatible(String subject, Schema schema) {
        JsonNode answer = send("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest", schemaBody(schema));
        return answer.path("is_compatible").asBoolean(false);
    }

    /** Compatibility level of {@code subject}, or the global one when {@code subject} is null. */
    public String compatibility(String subject) {
        JsonNode answer = send("GET", subject == null ? "/config" : "/config/" + enc(subject), null);
        JsonNode level = answer.has("compatibilityLevel") ? answer.get("compatibilityLevel") : answer.get("compatibility");
        return level == null ? null : level.asText();
    }

    /** Sets the compatibility level of {@code subject}, or the global one when {@code subject} is null. */
    public void setCompatibility(String subject, String level) {
        ObjectNode body = JSON.createObjectNode().put("compatibility", level);
        send("PUT", subject == null ? "/config" : "/config/" + enc(subject), body);
    }

    private ObjectNode schemaBody(Schema schema) {
        return JSON.createObjectNode().put("schema", schema.toString()).put("schemaType", "AVRO");
    }

    private static Schema parse(JsonNode answer, String what) {
        String type = answer.path("schemaType").asText("AVRO");
        if (!"AVRO".equalsIgnoreCase(type)) {
            throw new SchemaRegistryException(200, 0, what + " is of type " + type + ", not AVRO");
        }
        if (!answer.hasNonNull("schema")) {
            throw new SchemaRegistryException(200, 0, what + ": answer has no schema: " + answer);
        }
        return new Schema.Parser().parse(answer.get("schema").asText());
    }

    private JsonNode send(String method, String path, JsonNode body) {
        URI uri = URI.create(baseUrl + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(config.requestTimeout())
                .header("Accept", CONTENT_TYPE + ", application/json;q=0.9")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        long backoff = config.initialBackoff().toMillis();
        for (int attempt = 0; ; attempt++) {
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return response.body() == null || response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
                }
                if (status >= 500 && attempt < config.maxRetries()) {
                    log.warn("schema registry {} {} answered {}, retrying in {} ms", method, uri, status, backoff);
                } else {
                    throw error(status, response.body());
                }
            } catch (IOException e) {
                if (attempt >= config.maxRetries()) {
                    throw new SchemaRegistryException("schema registry " + uri + " unreachable: " + e.getMessage(), e);
                }
                log.warn("schema registry {} {} failed ({}), retrying in {} ms", method, uri, e.toString(), backoff);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while calling " + uri, e);
            }
            pause(backoff);
            backoff = Math.min(backoff * 2, 5_000);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis); // backoff between retries of a failed registry call
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("interrupted during backoff", e);
        }
    }

    static SchemaRegistryException error(int status, String body) {
        int code = 0;
        String message = body;
        try {
            JsonNode node = JSON.readTree(body);
            code = node.path("error_code").asInt(0);
            message = node.path("message").asText(body);
        } catch (IOException | RuntimeException ignored) {
            // not JSON: keep the raw body as the message
        }
        if (status == 409 || code == 40901) {
            return new SchemaRegistryException.Incompatible(code, message);
        }
        if (status == 404) {
            return new SchemaRegistryException.NotFound(code, message);
        }
        if (status == 422) {
            return new SchemaRegistryException.Invalid(code, message);
        }
        return new SchemaRegistryException(status, code, message);
    }

    private static String authorizationHeader(RegistryConfig config) {
        if (config.bearerToken() != null) {
            return "Bearer " + config.bearerToken();
        }
        // getUserInfo() decodes, so "bob:p%40ss@host" authenticates as bob with password p@ss
        String userInfo = config.basicAuthUserInfo() != null ? config.basicAuthUserInfo() : config.baseUrl().getUserInfo();
        if (userInfo != null) {
            return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        }
        return null;
    }

    /** Credentials in the URL go into the Authorization header only: never into request URIs, logs or errors. */
    private static String withoutUserInfo(URI url) {
        if (url.getRawUserInfo() == null) {
            return url.toString();
        }
        return url.getScheme() + "://" + url.getRawAuthority().substring(url.getRawUserInfo().length() + 1)
                + (url.getRawPath() == null ? "" : url.getRawPath());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
