package io.tollgate.ingest.format;

import io.tollgate.avro.UsageEvent;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static io.tollgate.ingest.format.Fixtures.RECEIVED;
import static io.tollgate.ingest.format.Fixtures.onlyParsed;
import static io.tollgate.ingest.format.Fixtures.parse;
import static org.assertj.core.api.Assertions.assertThat;

class AwsAccessLogParserTest {
    // The example line of GATEWAYS.md part 2 §2.2.
    static final String LINE = """
            {"requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef","extendedRequestId":"Tz1ZqFxsIAMFzXw=","accountId":"123456789012",
             "apiId":"ymy8tbxw7b","stage":"prod","domainName":"api.example.com","resourcePath":"/v1/orders/{id}",
             "path":"/v1/orders/123","httpMethod":"GET","status":"200","requestTimeEpoch":"1761488904123",
             "apiKeyId":"k4b1c2d3e4","principalId":"cons_42","consumerId":"cons_42","plan":"pro",
             "responseLength":"9982","responseLatency":"173","integrationLatency":"171","integrationStatus":"200",
             "authorizerStatus":"200","errorType":"-","sourceIp":"203.0.113.7"}""";
    private final AwsAccessLogParser parser = new AwsAccessLogParser();

    @Test
    void normalizesTheRecommendedAccessLogLine() {
        UsageEvent event = onlyParsed(parse(parser, LINE)).event();

        assertThat(event).isEqualTo(UsageEvent.newBuilder()
                .setId("Tz1ZqFxsIAMFzXw=").setSource("aws-apigw:123456789012/ymy8tbxw7b/prod").setConsumer("cons_42")
                .setGateway("aws").setApi("ymy8tbxw7b").setRoute("/v1/orders/{id}").setMethod("GET").setPath("/v1/orders/123")
                .setStatus(200).setEventTime(Instant.ofEpochMilli(1761488904123L)).setIngestTime(RECEIVED)
                .setMeters(Map.of("requests", 1L, "bytes_out", 9982L))
                .setLlmProvider(null).setLlmModel(null).build());
    }

    @Test
    void fallsBackToApiKeyIdAndRequestIdWhenDashed() {
        UsageEvent event = onlyParsed(parse(parser, LINE.replace("\"consumerId\":\"cons_42\"", "\"consumerId\":\"-\"")
                .replace("\"extendedRequestId\":\"Tz1ZqFxsIAMFzXw=\"", "\"extendedRequestId\":\"-\""))).event();

        assertThat(event.getConsumer()).isEqualTo("k4b1c2d3e4");
        assertThat(event.getId()).isEqualTo("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    }

    @Test
    void skipsResponsesApiGatewayMadeItselfAndAnonymousCalls() {
        assertThat(parse(parser, "[" + LINE.replace("\"errorType\":\"-\"", "\"errorType\":\"THROTTLED\"").replace("\"status\":\"200\"", "\"status\":\"429\"")
                + "," + LINE.replace("\"integrationStatus\":\"200\"", "\"integrationStatus\":\"-\"")
                + "," + LINE.replace("\"apiKeyId\":\"k4b1c2d3e4\",\"principalId\":\"cons_42\",\"consumerId\":\"cons_42\"",
                "\"apiKeyId\":\"-\",\"principalId\":\"-\",\"consumerId\":\"-\"") + "]"))
                .containsExactly(new ParseResult.Skipped(0, "gateway_response"), new ParseResult.Skipped(1, "gateway_response"),
                        new ParseResult.Skipped(2, "no_consumer"));
    }

    @Test
    void requiresTheRequestTime() {
        assertThat(parse(parser, LINE.replace("\"requestTimeEpoch\":\"1761488904123\"", "\"requestTimeEpoch\":\"-\"")))
                .containsExactly(new ParseResult.Invalid(0, "requestTimeEpoch", "required"));
    }
}
