package io.tollgate.ingest.format;

import org.junit.jupiter.api.Test;

import static io.tollgate.ingest.format.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;

class ContentIdTest {

    @Test
    void sameRecordGivesSameIdWhateverTheKeyOrderAndSpacing() {
        String a = ContentId.of(json("{\"started_at\": 1726783839538, \"request\": {\"size\": 139, \"method\": \"GET\"}}"));
        String b = ContentId.of(json("{\"request\":{\"method\":\"GET\",\"size\":139},\"started_at\":1726783839538}"));

        assertThat(a).isEqualTo(b).startsWith("sha256:").hasSize("sha256:".length() + 64);
    }

    @Test
    void differentRecordsGiveDifferentIds() {
        assertThat(ContentId.of(json("{\"started_at\": 1726783839538}")))
                .isNotEqualTo(ContentId.of(json("{\"started_at\": 1726783839539}")));
    }

    @Test
    void idIsTheSha256OfTheSortedCompactJson() {
        // echo -n '{"a":1,"b":"x"}' | sha256sum
        assertThat(ContentId.of(json("{\"b\": \"x\", \"a\": 1}")))
                .isEqualTo("sha256:" + sha256Hex("{\"a\":1,\"b\":\"x\"}"));
    }

    private static String sha256Hex(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
