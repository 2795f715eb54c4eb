package io.tollgate.billing.accounts;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin API reads a body only after authentication, and takes consumer ids in every {@code {id}} path (and the
 * {@code consumer} query of usage) under the one alphabet of SPEC §6: a 400 naming the field otherwise.
 */
class AdminRequestsSafetyTest {
    private static final String ACTIVE = "{\"plan\": \"pro\", \"status\": \"active\", \"billing\": \"prepaid\"}";
    final ApiFixture api = new ApiFixture();

    @AfterEach
    void close() {
        api.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT /v1/plans/pro", "PUT /v1/consumers/acme", "POST /v1/consumers/acme/credits"})
    void anUnauthenticatedWriteWithAHugeBodyIs401BeforeTheBodyIsRead(String route) throws IOException {
        // 50 MB announced (over the 256 KiB limit), 1 KiB sent: 401 at once, not 413, and nothing waits for the rest
        String answer = raw(route + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
                + "{\"currency\":\"" + "U".repeat(1024));

        assertThat(answer).startsWith("HTTP/1.1 401").contains("tollgate-admin");
    }

    @Test
    void anAuthenticatedWriteOverTheLimitIsStill413() {
        ApiFixture.Answer answer = api.send("PUT", "/v1/plans/pro", "{\"currency\": \"" + "U".repeat(300 * 1024) + "\"}");

        assertThat(answer.status()).isEqualTo(413);
    }

    @ParameterizedTest
    @ValueSource(strings = {"acme%0D%0AX-Admin:%201", "a%09b", "%E2%80%AEevil", "%20padded"})
    void aConsumerIdWithControlCharactersIs400NamingTheFieldOnEveryPath(String id) {
        api.send("PUT", "/v1/plans/pro", AccountsApiTest.PRO);

        for (ApiFixture.Answer answer : new ApiFixture.Answer[] {
                api.send("PUT", "/v1/consumers/" + id, ACTIVE),
                api.get("/v1/consumers/" + id),
                api.get("/v1/consumers/" + id + "/balance"),
                api.send("POST", "/v1/consumers/" + id + "/credits", "{\"amount\": \"5.00\", \"idempotencyKey\": \"k1\"}"),
                api.get("/v1/consumers/" + id + "/invoices/2026-11")}) {
            assertThat(answer.status()).isEqualTo(400);
            assertThat(answer.json().path("field").asText()).isEqualTo("id");
            assertThat(answer.json().path("reason").asText()).contains("consumer ids are 1 to 256 printable characters");
        }
        assertThat(api.log.events()).as("only the plan was written").hasSize(1);
    }

    @Test
    void aConsumerIdOfMoreThan256CharactersIs400() {
        api.send("PUT", "/v1/plans/pro", AccountsApiTest.PRO);

        ApiFixture.Answer answer = api.send("PUT", "/v1/consumers/" + "x".repeat(257), ACTIVE);

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("reason").asText()).isEqualTo("is longer than 256 characters");
    }

    @Test
    void theUsageQueryChecksItsConsumerToo() {
        ApiFixture.Answer answer = api.get("/v1/usage?consumer=a%01b");

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json().path("field").asText()).isEqualTo("consumer");
    }

    @Test
    void anInvalidIdIsNotCheckedBeforeTheCaller() {
        ApiFixture.Answer answer = api.send("GET", "/v1/consumers/a%0Ab", null, Map.of());

        assertThat(answer.status()).isEqualTo(401);
    }

    @Test
    void everyPrintableIdAGatewayMaySendCanHaveAnAccount() {
        api.send("PUT", "/v1/plans/pro", AccountsApiTest.PRO);

        ApiFixture.Answer spaced = api.send("PUT", "/v1/consumers/user%2042", ACTIVE);
        ApiFixture.Answer unicode = api.send("PUT", "/v1/consumers/Zo%C3%AB", ACTIVE);

        assertThat(spaced.status()).isEqualTo(201);
        assertThat(spaced.json().path("id").asText()).isEqualTo("user 42");
        assertThat(unicode.status()).isEqualTo(201);
        assertThat(api.get("/v1/consumers/Zo%C3%AB").json().path("id").asText()).isEqualTo("Zoë");
    }

    private String raw(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", api.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    answer.write(buffer, 0, n);
                    String text = answer.toString(StandardCharsets.ISO_8859_1);
                    if (text.contains("\r\n\r\n{") && text.endsWith("}")) {
                        break;
                    }
                }
            } catch (SocketTimeoutException e) {
                // what arrived in time is the answer
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
