package io.tollgate.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaRegistryClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Schema ORDER = new Schema.Parser().parse("""
            {"type": "record", "name": "Order", "namespace": "test",
             "fields": [{"name": "id", "type": "string"}, {"name": "units", "type": "long"}]}""");
    private static final Schema ORDER_V2 = new Schema.Parser().parse("""
            {"type": "record", "name": "Order", "namespace": "test",
             "fields": [{"name": "id", "type": "string"}, {"name": "units", "type": "long"},
                        {"name": "note", "type": ["null", "string"], "default": null}]}""");

    private FakeRegistryServer registry;

    @BeforeEach
    void startRegistry() {
        registry = FakeRegistryServer.start();
    }

    @AfterEach
    void stopRegistry() {
        registry.close();
    }

    private SchemaRegistryClient client() {
        return client(registry.url(), 3);
    }

    private static SchemaRegistryClient client(String url, int maxRetries) {
        return new SchemaRegistryClient(new RegistryConfig(URI.create(url), null, null,
                Duration.ofSeconds(5), maxRetries, Duration.ofMillis(1)));
    }

    private static String schemaAnswer(String subject, int id, int version, Schema schema) {
        return JSON.createObjectNode().put("subject", subject).put("id", id).put("version", version)
                .put("schema", schema.toString()).toString();
    }

    private static JsonNode json(String body) throws Exception {
        return JSON.readTree(body);
    }

    @Nested
    class Register {
        @Test
        void postsTheSchemaToTheSubjectsVersionsWithTheRegistryContentType() throws Exception {
            registry.answer("POST", "/subjects/usage.events-value/versions", 200, "{\"id\": 7}");

            int id = client().register("usage.events-value", ORDER);

            assertThat(id).isEqualTo(7);
            FakeRegistryServer.Request request = registry.onlyRequest();
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.rawPath()).isEqualTo("/subjects/usage.events-value/versions");
            assertThat(request.header("Content-Type")).isEqualTo(CONTENT_TYPE);
            assertThat(request.header("Accept")).startsWith(CONTENT_TYPE);
            JsonNode body = json(request.body());
            assertThat(body.fieldNames()).toIterable().containsExactlyInAnyOrder("schema", "schemaType");
            assertThat(body.get("schemaType").asText()).isEqualTo("AVRO");
            assertThat(new Schema.Parser().parse(body.get("schema").asText())).isEqualTo(ORDER);
        }

        @Test
        void secondRegisterOfTheSameSchemaMakesNoCall() {
            registry.answer("POST", "/subjects/usage.events-value/versions", 200, "{\"id\": 7}");
            SchemaRegistryClient client = client();

            int first = client.register("usage.events-value", ORDER);
            int second = client.register("usage.events-value", new Schema.Parser().parse(ORDER.toString()));

            assertThat(first).isEqualTo(7);
            assertThat(second).isEqualTo(7);
            assertThat(registry.requests()).hasSize(1);
        }

        @Test
        void registerUnderAnotherSubjectCallsAgain() {
            registry.answer("POST", "/subjects/a-value/versions", 200, "{\"id\": 7}")
                    .answer("POST", "/subjects/b-value/versions", 200, "{\"id\": 7}");
            SchemaRegistryClient client = client();

            client.register("a-value", ORDER);
            client.register("b-value", ORDER);

            assertThat(registry.requests()).extracting(FakeRegistryServer.Request::rawPath)
                    .containsExactly("/subjects/a-value/versions", "/subjects/b-value/versions");
        }

        @Test
        void registeredSchemaIsKnownByIdWithoutAnotherCall() {
            registry.answer("POST", "/subjects/s-value/versions", 200, "{\"id\": 12}");
            SchemaRegistryClient client = client();

            client.register("s-value", ORDER);

            assertThat(client.schemaById(12)).isEqualTo(ORDER);
            assertThat(registry.requests()).hasSize(1);
        }

        @Test
        void answerWithoutIdIsAnError() {
            registry.answer("POST", "/subjects/s-value/versions", 200, "{\"version\": 1}");

            assertThatThrownBy(() -> client().register("s-value", ORDER))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("without an id");
        }

        @Test
        void unknownFieldsInTheAnswerAreIgnored() {
            registry.answer("POST", "/subjects/s-value/versions", 200,
                    "{\"id\": 3, \"version\": 2, \"guid\": \"f00\", \"references\": [], \"metadata\": {\"x\": 1}, \"ruleSet\": null}");

            assertThat(client().register("s-value", ORDER)).isEqualTo(3);
        }

        @Test
        void subjectIsUrlEncodedInThePath() {
            registry.answer("POST", "/subjects/team%2Forders%20v1%3Fx%26y-value/versions", 200, "{\"id\": 1}");

            assertThat(client().register("team/orders v1?x&y-value", ORDER)).isEqualTo(1);
            assertThat(registry.onlyRequest().rawPath()).isEqualTo("/subjects/team%2Forders%20v1%3Fx%26y-value/versions");
        }

        @Test
        void keepsThePathOfTheBaseUrlAndIgnoresATrailingSlash() {
            registry.answer("POST", "/apis/ccompat/v7/subjects/s-value/versions", 200, "{\"id\": 4}");
            RegistryConfig config = RegistryConfig.of(registry.url() + "/apis/ccompat/v7/");

            assertThat(new SchemaRegistryClient(config).register("s-value", ORDER)).isEqualTo(4);
            assertThat(registry.onlyRequest().rawPath()).isEqualTo("/apis/ccompat/v7/subjects/s-value/versions");
        }
    }

    @Nested
    class SchemaById {
        @Test
        void fetchesOnceAndCaches() {
            registry.answer("GET", "/schemas/ids/42", 200, JSON.createObjectNode().put("schema", ORDER.toString()).toString());
            SchemaRegistryClient client = client();

            Schema first = client.schemaById(42);
            Schema second = client.schemaById(42);

            assertThat(first).isEqualTo(ORDER);
            assertThat(second).isSameAs(first);
            FakeRegistryServer.Request request = registry.onlyRequest();
            assertThat(request.method()).isEqualTo("GET");
            assertThat(request.rawPath()).isEqualTo("/schemas/ids/42");
            assertThat(request.body()).isEmpty();
        }

        @Test
        void missingSchemaTypeMeansAvro() {
            registry.answer("GET", "/schemas/ids/1", 200, JSON.createObjectNode().put("schema", ORDER.toString()).toString());

            assertThat(client().schemaById(1)).isEqualTo(ORDER);
        }

        @Test
        void explicitAvroSchemaTypeIsAccepted() {
            registry.answer("GET", "/schemas/ids/1", 200, JSON.createObjectNode()
                    .put("schema", ORDER.toString()).put("schemaType", "AVRO").put("references", "ignored").toString());

            assertThat(client().schemaById(1)).isEqualTo(ORDER);
        }

        @ParameterizedTest
        @ValueSource(strings = {"PROTOBUF", "JSON"})
        void nonAvroSchemaIsRejectedNamingTheType(String type) {
            registry.answer("GET", "/schemas/ids/5", 200, JSON.createObjectNode()
                    .put("schema", "syntax = \"proto3\"; message Order {}").put("schemaType", type).toString());

            assertThatThrownBy(() -> client().schemaById(5))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("schema id 5 is of type " + type + ", not AVRO");
        }

        @Test
        void answerWithoutSchemaIsAnError() {
            registry.answer("GET", "/schemas/ids/5", 200, "{\"subject\": \"s\"}");

            assertThatThrownBy(() -> client().schemaById(5))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("answer has no schema");
        }

        @Test
        void unknownIdIsNotFound() {
            registry.answer("GET", "/schemas/ids/99", 404, "{\"error_code\": 40403, \"message\": \"Schema 99 not found\"}");

            assertThatThrownBy(() -> client().schemaById(99))
                    .isInstanceOfSatisfying(SchemaRegistryException.NotFound.class, e -> {
                        assertThat(e.status()).isEqualTo(404);
                        assertThat(e.errorCode()).isEqualTo(40403);
                    })
                    .hasMessage("schema registry answered 404 (error 40403): Schema 99 not found");
        }
    }

    @Nested
    class Latest {
        @Test
        void returnsSubjectIdVersionAndSchemaAndCachesTheSchemaById() {
            registry.answer("GET", "/subjects/s-value/versions/latest", 200, schemaAnswer("s-value", 9, 3, ORDER_V2));
            SchemaRegistryClient client = client();

            RegisteredSchema latest = client.latest("s-value");

            assertThat(latest).isEqualTo(new RegisteredSchema("s-value", 9, 3, ORDER_V2));
            assertThat(client.schemaById(9)).isEqualTo(ORDER_V2);
            assertThat(registry.requests()).hasSize(1);
        }

        @Test
        void isNeverCachedBecauseItChanges() {
            registry.answer("GET", "/subjects/s-value/versions/latest", 200, schemaAnswer("s-value", 1, 1, ORDER))
                    .answer("GET", "/subjects/s-value/versions/latest", 200, schemaAnswer("s-value", 2, 2, ORDER_V2));
            SchemaRegistryClient client = client();

            assertThat(client.latest("s-value").version()).isEqualTo(1);
            assertThat(client.latest("s-value").version()).isEqualTo(2);
            assertThat(registry.requests()).hasSize(2);
        }

        @Test
        void unknownSubjectIsNotFound() {
            registry.answer("GET", "/subjects/nope-value/versions/latest", 404,
                    "{\"error_code\": 40401, \"message\": \"Subject 'nope-value' not found.\"}");

            assertThatThrownBy(() -> client().latest("nope-value"))
                    .isInstanceOfSatisfying(SchemaRegistryException.NotFound.class,
                            e -> assertThat(e.errorCode()).isEqualTo(40401))
                    .hasMessageContaining("Subject 'nope-value' not found.");
        }
    }

    @Nested
    class Lookup {
        @Test
        void postsTheSchemaToTheSubjectWithoutRegisteringIt() throws Exception {
            registry.answer("POST", "/subjects/s-value", 200, schemaAnswer("s-value", 21, 2, ORDER));

            assertThat(client().lookup("s-value", ORDER)).isEqualTo(21);
            FakeRegistryServer.Request request = registry.onlyRequest();
            assertThat(request.rawPath()).isEqualTo("/subjects/s-value");
            assertThat(request.header("Content-Type")).isEqualTo(CONTENT_TYPE);
            assertThat(json(request.body()).get("schemaType").asText()).isEqualTo("AVRO");
            assertThat(new Schema.Parser().parse(json(request.body()).get("schema").asText())).isEqualTo(ORDER);
        }

        @Test
        void isCachedAndSharesTheCacheWithRegister() {
            registry.answer("POST", "/subjects/s-value", 200, schemaAnswer("s-value", 21, 2, ORDER));
            SchemaRegistryClient client = client();

            client.lookup("s-value", ORDER);
            assertThat(client.lookup("s-value", ORDER)).isEqualTo(21);
            assertThat(client.register("s-value", ORDER)).isEqualTo(21);
            assertThat(registry.requests()).hasSize(1);
        }

        @Test
        void schemaNotUnderTheSubjectIsNotFound() {
            registry.answer("POST", "/subjects/s-value", 404, "{\"error_code\": 40403, \"message\": \"Schema not found\"}");

            assertThatThrownBy(() -> client().lookup("s-value", ORDER))
                    .isInstanceOfSatisfying(SchemaRegistryException.NotFound.class,
                            e -> assertThat(e.errorCode()).isEqualTo(40403));
        }

        @Test
        void answerWithoutIdIsAnErrorAndIsNotCached() {
            registry.answer("POST", "/subjects/s-value", 200, "{\"subject\": \"s-value\"}")
                    .answer("POST", "/subjects/s-value", 200, schemaAnswer("s-value", 21, 2, ORDER));
            SchemaRegistryClient client = client();

            assertThatThrownBy(() -> client.lookup("s-value", ORDER))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("without an id");
            assertThat(client.lookup("s-value", ORDER)).isEqualTo(21);
        }
    }

    @Nested
    class Compatibility {
        @ParameterizedTest
        @ValueSource(booleans = {true, false})
        void checksAgainstTheLatestVersion(boolean compatible) throws Exception {
            registry.answer("POST", "/compatibility/subjects/s-value/versions/latest", 200,
                    "{\"is_compatible\": " + compatible + ", \"messages\": []}");

            assertThat(client().isCompatible("s-value", ORDER_V2)).isEqualTo(compatible);
            FakeRegistryServer.Request request = registry.onlyRequest();
            assertThat(request.header("Content-Type")).isEqualTo(CONTENT_TYPE);
            assertThat(new Schema.Parser().parse(json(request.body()).get("schema").asText())).isEqualTo(ORDER_V2);
        }

        @Test
        void readsTheGlobalLevelInTheConfluentShape() {
            registry.answer("GET", "/config", 200, "{\"compatibilityLevel\": \"BACKWARD\"}");

            assertThat(client().compatibility(null)).isEqualTo("BACKWARD");
            assertThat(registry.onlyRequest().method()).isEqualTo("GET");
        }

        @Test
        void readsTheSubjectLevelInTheShapeUsedByPut() {
            registry.answer("GET", "/config/team%2Fs-value", 200, "{\"compatibility\": \"FULL_TRANSITIVE\"}");

            assertThat(client().compatibility("team/s-value")).isEqualTo("FULL_TRANSITIVE");
        }

        @Test
        void levelMissingFromTheAnswerIsNull() {
            registry.answer("GET", "/config", 200, "{}");

            assertThat(client().compatibility(null)).isNull();
        }

        @Test
        void setsTheSubjectLevel() throws Exception {
            registry.answer("PUT", "/config/s-value", 200, "{\"compatibility\": \"FULL\"}");

            client().setCompatibility("s-value", "FULL");

            FakeRegistryServer.Request request = registry.onlyRequest();
            assertThat(request.method()).isEqualTo("PUT");
            assertThat(request.header("Content-Type")).isEqualTo(CONTENT_TYPE);
            assertThat(json(request.body())).isEqualTo(JSON.createObjectNode().put("compatibility", "FULL"));
        }

        @Test
        void setsTheGlobalLevel() throws Exception {
            registry.answer("PUT", "/config", 200, "{\"compatibility\": \"NONE\"}");

            client().setCompatibility(null, "NONE");

            assertThat(json(registry.onlyRequest().body()).get("compatibility")).isEqualTo(TextNode.valueOf("NONE"));
        }

        @Test
        void invalidLevelIsInvalid() {
            registry.answer("PUT", "/config", 422, "{\"error_code\": 42203, \"message\": \"Invalid compatibility level\"}");

            assertThatThrownBy(() -> client().setCompatibility(null, "SIDEWAYS"))
                    .isInstanceOfSatisfying(SchemaRegistryException.Invalid.class, e -> {
                        assertThat(e.status()).isEqualTo(422);
                        assertThat(e.errorCode()).isEqualTo(42203);
                    })
                    .hasMessageContaining("Invalid compatibility level");
        }
    }

    @Nested
    class Errors {
        @ParameterizedTest
        @ValueSource(ints = {409, 40901})
        void incompatibleSchemaIsIncompatible(int errorCode) {
            registry.answer("POST", "/subjects/s-value/versions", 409,
                    "{\"error_code\": " + errorCode + ", \"message\": \"Schema being registered is incompatible with an earlier schema\"}");

            assertThatThrownBy(() -> client().register("s-value", ORDER_V2))
                    .isInstanceOfSatisfying(SchemaRegistryException.Incompatible.class, e -> {
                        assertThat(e.status()).isEqualTo(409);
                        assertThat(e.errorCode()).isEqualTo(errorCode);
                    })
                    .hasMessage("schema registry answered 409 (error " + errorCode
                            + "): Schema being registered is incompatible with an earlier schema");
            assertThat(registry.requests()).as("a 409 is not retried").hasSize(1);
        }

        @Test
        void errorCode40901IsIncompatibleWhateverTheStatus() {
            assertThat(SchemaRegistryClient.error(400, "{\"error_code\": 40901, \"message\": \"incompatible\"}"))
                    .isInstanceOf(SchemaRegistryException.Incompatible.class);
        }

        @ParameterizedTest
        @ValueSource(ints = {40401, 40402, 40403})
        void notFoundCodesAreNotFound(int errorCode) {
            registry.answer("GET", "/subjects/s-value/versions/latest", 404, "{\"error_code\": " + errorCode + ", \"message\": \"gone\"}");

            assertThatThrownBy(() -> client().latest("s-value"))
                    .isInstanceOfSatisfying(SchemaRegistryException.NotFound.class,
                            e -> assertThat(e.errorCode()).isEqualTo(errorCode));
            assertThat(registry.requests()).as("a 404 is not retried").hasSize(1);
        }

        @Test
        void invalidSchemaIsInvalid() {
            registry.answer("POST", "/subjects/s-value/versions", 422, "{\"error_code\": 42201, \"message\": \"Invalid schema\"}");

            assertThatThrownBy(() -> client().register("s-value", ORDER))
                    .isInstanceOfSatisfying(SchemaRegistryException.Invalid.class,
                            e -> assertThat(e.errorCode()).isEqualTo(42201))
                    .hasMessage("schema registry answered 422 (error 42201): Invalid schema");
        }

        @Test
        void nonJsonErrorBodyBecomesTheMessage() {
            registry.answer("GET", "/schemas/ids/3", new FakeRegistryServer.Answer(404, "text/html", "<html><body>Not Found</body></html>"));

            assertThatThrownBy(() -> client().schemaById(3))
                    .isInstanceOfSatisfying(SchemaRegistryException.NotFound.class,
                            e -> assertThat(e.errorCode()).isZero())
                    .hasMessage("schema registry answered 404: <html><body>Not Found</body></html>");
        }

        @Test
        void jsonErrorBodyWithoutMessageKeepsTheBody() {
            registry.answer("GET", "/schemas/ids/3", 400, "{\"error\": \"bad request\"}");

            assertThatThrownBy(() -> client().schemaById(3))
                    .isExactlyInstanceOf(SchemaRegistryException.class)
                    .hasMessage("schema registry answered 400: {\"error\": \"bad request\"}");
        }

        @Test
        void emptyErrorBodyStillNamesTheStatus() {
            registry.answer("GET", "/schemas/ids/3", new FakeRegistryServer.Answer(401, "text/plain", ""));

            assertThatThrownBy(() -> client().schemaById(3))
                    .isExactlyInstanceOf(SchemaRegistryException.class)
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).status()).isEqualTo(401))
                    .hasMessageStartingWith("schema registry answered 401");
        }
    }

    @Nested
    class Retries {
        @Test
        void retries500And503WithGrowingBackoffThenSucceeds() {
            registry.answer("POST", "/subjects/s-value/versions", 500, "{\"error_code\": 50001, \"message\": \"store error\"}")
                    .answer("POST", "/subjects/s-value/versions", new FakeRegistryServer.Answer(503, "text/plain", "Service Unavailable"))
                    .answer("POST", "/subjects/s-value/versions", 200, "{\"id\": 5}");
            SchemaRegistryClient client = new SchemaRegistryClient(new RegistryConfig(URI.create(registry.url()), null, null,
                    Duration.ofSeconds(5), 3, Duration.ofMillis(50)));

            assertThat(client.register("s-value", ORDER)).isEqualTo(5);

            List<FakeRegistryServer.Request> requests = registry.requests();
            assertThat(requests).hasSize(3);
            assertThat(requests).extracting(FakeRegistryServer.Request::body).containsOnly(requests.get(0).body());
            long firstPause = requests.get(1).receivedNanos() - requests.get(0).receivedNanos();
            long secondPause = requests.get(2).receivedNanos() - requests.get(1).receivedNanos();
            assertThat(Duration.ofNanos(firstPause)).isGreaterThanOrEqualTo(Duration.ofMillis(50));
            assertThat(Duration.ofNanos(secondPause)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        }

        @Test
        void givesUpAfterMaxRetriesWithTheLastError() {
            registry.answer("GET", "/schemas/ids/1", 503, "{\"error_code\": 50301, \"message\": \"unavailable\"}");

            assertThatThrownBy(() -> client(registry.url(), 2).schemaById(1))
                    .isExactlyInstanceOf(SchemaRegistryException.class)
                    .hasMessage("schema registry answered 503 (error 50301): unavailable");
            assertThat(registry.requests()).as("one call and two retries").hasSize(3);
        }

        @Test
        void zeroRetriesMeansOneCall() {
            registry.answer("GET", "/schemas/ids/1", 500, "{\"error_code\": 50001, \"message\": \"boom\"}");

            assertThatThrownBy(() -> client(registry.url(), 0).schemaById(1)).isInstanceOf(SchemaRegistryException.class);
            assertThat(registry.requests()).hasSize(1);
        }

        @Test
        void unreachableRegistryFailsAfterRetriesNamingTheRegistry() throws Exception {
            int closedPort;
            try (ServerSocket socket = new ServerSocket(0)) {
                closedPort = socket.getLocalPort();
            }

            assertThatThrownBy(() -> client("http://127.0.0.1:" + closedPort, 2).schemaById(1))
                    .isExactlyInstanceOf(SchemaRegistryException.class)
                    .hasMessageStartingWith("schema registry http://127.0.0.1:" + closedPort + "/schemas/ids/1 unreachable")
                    .hasCauseInstanceOf(java.io.IOException.class);
        }
    }

    @Nested
    class Authentication {
        private String basic(String userInfo) {
            return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        }

        @Test
        void noCredentialsSendNoAuthorizationHeader() {
            registry.answer("GET", "/schemas/ids/1", 200, JSON.createObjectNode().put("schema", ORDER.toString()).toString());

            client().schemaById(1);

            assertThat(registry.onlyRequest().header("Authorization")).isNull();
        }

        @Test
        void basicAuthUserInfoFromTheConfluentSetting() {
            registry.answer("GET", "/schemas/ids/1", 200, JSON.createObjectNode().put("schema", ORDER.toString()).toString());
            RegistryConfig config = RegistryConfig.from(Map.of(RegistryConfig.URL, registry.url(),
                    RegistryConfig.BASIC_AUTH_USER_INFO, "alice:s3cr:et"));

            new SchemaRegistryClient(config).schemaById(1);

            assertThat(registry.onlyRequest().header("Authorization")).isEqualTo(basic("alice:s3cr:et"));
        }

        @Test
        void userInfoInTheUrlBecomesBasicAuthAndLeavesTheRequestUri() {
            registry.answer("GET", "/apis/ccompat/v7/schemas/ids/1", 200,
                    JSON.createObjectNode().put("schema", ORDER.toString()).toString());
            RegistryConfig config = RegistryConfig.from(Map.of(RegistryConfig.URL,
                    "http://bob:p%40ss@127.0.0.1:" + registry.port() + "/apis/ccompat/v7"));

            new SchemaRegistryClient(config).schemaById(1);

            FakeRegistryServer.Request request = registry.onlyRequest();
            assertThat(request.header("Authorization")).isEqualTo(basic("bob:p@ss"));
            assertThat(request.rawPath()).isEqualTo("/apis/ccompat/v7/schemas/ids/1");
        }

        @Test
        void userInfoInTheUrlNeverAppearsInErrors() throws Exception {
            int closedPort;
            try (ServerSocket socket = new ServerSocket(0)) {
                closedPort = socket.getLocalPort();
            }
            SchemaRegistryClient client = client("http://bob:hunter2@127.0.0.1:" + closedPort, 0);

            assertThatThrownBy(() -> client.schemaById(1))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageStartingWith("schema registry http://127.0.0.1:" + closedPort + "/schemas/ids/1 unreachable")
                    .hasMessageNotContaining("hunter2");
        }

        @Test
        void settingWinsOverUserInfoInTheUrl() {
            registry.answer("GET", "/schemas/ids/1", 200, JSON.createObjectNode().put("schema", ORDER.toString()).toString());
            RegistryConfig config = RegistryConfig.from(Map.of(
                    RegistryConfig.URL, "http://bob:pw@127.0.0.1:" + registry.port(),
                    RegistryConfig.BASIC_AUTH_USER_INFO, "alice:secret"));

            new SchemaRegistryClient(config).schemaById(1);

            assertThat(registry.onlyRequest().header("Authorization")).isEqualTo(basic("alice:secret"));
        }

        @Test
        void bearerToken() {
            registry.answer("GET", "/schemas/ids/1", 200, JSON.createObjectNode().put("schema", ORDER.toString()).toString());
            RegistryConfig config = RegistryConfig.from(Map.of(RegistryConfig.URL, registry.url(),
                    RegistryConfig.BEARER_AUTH_TOKEN, "eyJ.token.sig"));

            new SchemaRegistryClient(config).schemaById(1);

            assertThat(registry.onlyRequest().header("Authorization")).isEqualTo("Bearer eyJ.token.sig");
        }

        @Test
        void credentialsAreSentOnEveryRetry() {
            registry.answer("GET", "/schemas/ids/1", 503, "{}")
                    .answer("GET", "/schemas/ids/1", 200, JSON.createObjectNode().put("schema", ORDER.toString()).toString());
            SchemaRegistryClient client = new SchemaRegistryClient(new RegistryConfig(URI.create(registry.url()), null, "tok",
                    Duration.ofSeconds(5), 3, Duration.ofMillis(1)));

            client.schemaById(1);

            assertThat(registry.requests()).extracting(r -> r.header("Authorization")).containsExactly("Bearer tok", "Bearer tok");
        }
    }

    @Nested
    class Configuration {
        @Test
        void firstOfSeveralUrlsIsUsed() {
            RegistryConfig config = RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a:1/x/, http://b:2"));

            assertThat(config.baseUrl()).isEqualTo(URI.create("http://a:1/x"));
        }

        @Test
        void timeoutAndRetriesAreReadFromStringsOrNumbers() {
            RegistryConfig config = RegistryConfig.from(Map.of(RegistryConfig.URL, "http://a:1",
                    RegistryConfig.REQUEST_TIMEOUT_MS, "2500", RegistryConfig.MAX_RETRIES, 7));

            assertThat(config.requestTimeout()).isEqualTo(Duration.ofMillis(2500));
            assertThat(config.maxRetries()).isEqualTo(7);
            assertThat(config.basicAuthUserInfo()).isNull();
            assertThat(config.bearerToken()).isNull();
        }

        @Test
        void urlIsRequired() {
            assertThatThrownBy(() -> RegistryConfig.from(Map.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("schema.registry.url is required");
        }
    }
}
