package io.tollgate.deploy.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.tollgate.deploy.demo.GatewayPayloads;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

class BenchTrafficTest {
    private final BenchTraffic traffic = new BenchTraffic(new GatewayPayloads(new ObjectMapper()), 25, 0xabcdef12L);

    @Test
    void spreadsCallsOverTheConsumersInTurnWithThreeLlmCallsInTen() {
        assertThat(traffic.consumers()).hasSize(25).startsWith("bench-0000").endsWith("bench-0024");
        assertThat(traffic.template(0).consumer()).isEqualTo("bench-0000");
        assertThat(traffic.template(26).consumer()).isEqualTo("bench-0001");
        long llm = LongStream.range(0, 1_000).filter(i -> traffic.template(i).inputTokens() > 0).count();
        assertThat(llm).isEqualTo(300);
    }

    @Test
    void requestIdsAreThirtyTwoHexCharactersAndUniqueAcrossStreams() {
        Set<String> ids = new HashSet<>();
        for (int stream = 0; stream < 4; stream++) {
            for (long index = 0; index < 1_000; index++) {
                String id = traffic.requestId(stream, index);
                assertThat(id).hasSize(KongLogTemplate.ID_LENGTH).matches("[0-9a-f]+").startsWith("abcdef12");
                ids.add(id);
            }
        }
        assertThat(ids).hasSize(4_000);
    }

    @Test
    void sendsExactlyTheRawShareThroughTheRawTopic() {
        for (double share : List.of(0.0, 0.3, 0.5, 1.0)) {
            long raw = LongStream.range(0, 1_000).filter(i -> BenchTraffic.viaRawTopic(i, share)).count();
            assertThat(raw).as("share %s", share).isEqualTo(Math.round(1_000 * share));
        }
    }

    @Test
    void asksAboutOneConsumerWithoutCreditsInTwentyDecisions() {
        List<String> funded = LongStream.range(0, 38).mapToObj(i -> "f" + i).toList();

        List<String> asked = BenchRun.decisionConsumers(funded, List.of("broke-000", "broke-001"));

        assertThat(asked).hasSize(40).containsSubsequence("f18", "broke-000", "f19").containsSubsequence("f37", "broke-001");
        assertThat(BenchRun.decisionConsumers(funded, List.of())).isEqualTo(funded);
    }
}
