package io.tollgate.deploy.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.deploy.demo.GatewayPayloads;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KongLogTemplateTest {
    private final ObjectMapper json = new ObjectMapper();
    private final GatewayPayloads payloads = new GatewayPayloads(json);

    @Test
    void rendersTheRequestIdEverywhereKongLogsItAndTheStartTime() throws Exception {
        KongLogTemplate template = KongLogTemplate.of(payloads, "bench-0007", 0, 0);
        String id = "0123456789abcdef0123456789abcdef";

        JsonNode log = json.readTree(template.render(id, 1_795_000_000_123L));

        assertThat(log.path("request").path("id").asText()).isEqualTo(id);
        assertThat(log.path("response").path("headers").path("x-kong-request-id").asText()).isEqualTo(id);
        assertThat(log.path("started_at").asLong()).isEqualTo(1_795_000_000_123L);
        assertThat(log.path("consumer").path("custom_id").asText()).isEqualTo("bench-0007");
        assertThat(log.path("source").asText()).isEqualTo("upstream");
        assertThat(log.has("ai")).isFalse();
    }

    @Test
    void anLlmCallCarriesItsTokensAsKongAiProxyLogsThem() throws Exception {
        KongLogTemplate template = KongLogTemplate.of(payloads, "bench-0001", 1_200, 310);

        JsonNode usage = json.readTree(template.render("f".repeat(31) + "0", 1_795_000_000_000L)).path("ai").path("proxy").path("usage");

        assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(1_200);
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(310);
        assertThat(template.inputTokens()).isEqualTo(1_200);
        assertThat(template.outputTokens()).isEqualTo(310);
    }

    @Test
    void twoRendersDoNotShareBytes() {
        KongLogTemplate template = KongLogTemplate.of(payloads, "bench-0002", 0, 0);

        byte[] first = template.render("a".repeat(32), 1_795_000_000_000L);
        byte[] second = template.render("b".repeat(32), 1_795_000_000_001L);

        assertThat(new String(first)).contains("\"" + "a".repeat(32) + "\"").doesNotContain("b".repeat(32));
        assertThat(new String(second)).contains("\"" + "b".repeat(32) + "\"").contains("1795000000001");
        assertThat(first).hasSize(template.length());
    }

    @Test
    void refusesAnIdOrATimeThatDoesNotFitItsSlot() {
        KongLogTemplate template = KongLogTemplate.of(payloads, "bench-0003", 0, 0);

        assertThatThrownBy(() -> template.render("short", 1_795_000_000_000L)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 characters");
        assertThatThrownBy(() -> template.render("c".repeat(32), 12_345L)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("13 digits");
    }
}
