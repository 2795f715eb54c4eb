package io.tollgate.ingest.it;

import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.localstack.junit.KafkaStack;
import io.tollgate.localstack.junit.TollgateStackExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@Tag("integration")
@Timeout(300)
@ExtendWith(TollgateStackExtension.class)
class IngestEndToEndIT {
    private static RunningIngest ingest;

    @BeforeAll
    static void start(KafkaStack stack) throws Exception {
        ingest = new RunningIngest(stack, Map.of());
    }

    @AfterAll
    static void stop() {
        if (ingest != null) {
            ingest.close();
        }
    }

    private static String kong(String id, String consumer, long startedAt) {
        return """
                {"request": {"id": "%s", "method": "POST", "uri": "/v1/chat?x=1", "size": 512}, "response": {"status": 200, "size": 2048},
                 "source": "upstream", "started_at": %d, "service": {"name": "llm"}, "route": {"name": "chat"},
                 "consumer": {"id": "uuid-%s", "custom_id": "%s"},
                 "ai": {"proxy": {"meta": {"provider_name": "openai", "response_model": "gpt-4o"}, "usage": {"prompt_tokens": 25, "completion_tokens": "12"}}}}
                """.formatted(id, startedAt, consumer, consumer);
    }

    private static String apisix(String id, String consumer, long startTime) {
        return """
                {"start_time": %d, "route_id": "1", "service_id": "hello", "server": {"hostname": "apisix-it"},
                 "request": {"method": "GET", "uri": "/hello", "size": 90, "headers": {"x-request-id": "%s"}},
                 "response": {"status": 200, "size": 190}, "consumer": {"username": "%s"}}""".formatted(startTime, id, consumer);
    }

    @Test
    void eventsPostedThroughEveryEndpointLandInUsageEventsKeyedByConsumerAtEventTime() throws Exception {
        HttpResponse<String> canonical = ingest.post("/v1/events", "application/json",
                "[{\"id\": \"h-1\", \"consumer\": \"http-acme\", \"time\": \"2026-11-21T10:00:00.123Z\", \"meters\": {\"requests\": 1}}]");
        HttpResponse<String> cloudEvent = ingest.post("/v1/events", "application/cloudevents+json", """
                {"specversion": "1.0", "id": "h-2", "source": "gw://it", "type": "api.request", "subject": "http-globex",
                 "time": "2026-11-21T10:00:01Z", "data": {"meters": {"input_tokens": "1.2e3"}}}""");
        HttpResponse<String> kong = ingest.post("/v1/events/kong", "application/json",
                "[" + kong("h-3", "http-initech", 1763719202000L) + "," + kong("h-3b", "x", 1763719202000L).replace("\"upstream\"", "\"kong\"") + "]");
        HttpResponse<String> apisix = ingest.post("/v1/events/apisix", "text/plain", apisix("h-4", "http-umbrella", 1763719203000L) + "\n");

        assertThat(List.of(canonical.statusCode(), cloudEvent.statusCode(), kong.statusCode(), apisix.statusCode()))
                .containsExactly(202, 202, 202, 202);
        assertThat(kong.body()).isEqualTo("{\"accepted\":1,\"skipped\":1}");

        List<ConsumerRecord<String, UsageEvent>> records = ingest.usageEvents("http-", 4);

        assertThat(records).extracting(ConsumerRecord::key)
                .containsExactlyInAnyOrder("http-acme", "http-globex", "http-initech", "http-umbrella");
        for (ConsumerRecord<String, UsageEvent> record : records) {
            assertThat(record.value().getConsumer()).isEqualTo(record.key());
            assertThat(record.timestamp()).isEqualTo(record.value().getEventTime().toEpochMilli());
            assertThat(new String(record.headers().lastHeader("tollgate-ingest-time").value(), StandardCharsets.UTF_8))
                    .isEqualTo(Long.toString(record.value().getIngestTime().toEpochMilli()));
        }
        UsageEvent fromKong = records.stream().filter(r -> r.key().equals("http-initech")).findFirst().orElseThrow().value();
        assertThat(fromKong.getMeters()).isEqualTo(Map.of("requests", 1L, "bytes_in", 512L, "bytes_out", 2048L, "input_tokens", 25L, "output_tokens", 12L));
        assertThat(fromKong.getLlmModel()).isEqualTo("gpt-4o");
        assertThat(records.stream().filter(r -> r.key().equals("http-acme")).findFirst().orElseThrow().timestamp())
                .isEqualTo(Instant.parse("2026-11-21T10:00:00.123Z").toEpochMilli());
    }

    @Test
    void rawTopicsAreNormalizedAndGarbageGoesToTheDeadLettersWhileTheNextRecordIsStillProcessed() throws Exception {
        ingest.produceRaw(ingest.kongTopic, null, "[" + kong("r-1", "raw-acme", 1763719210000L) + "]");
        ingest.produceRaw(ingest.apisixTopic, "k".getBytes(StandardCharsets.UTF_8), "{not json");
        ingest.produceRaw(ingest.apisixTopic, null, "[" + apisix("r-2", "raw-umbrella", 1763719211000L) + "]");
        ingest.produceRaw(ingest.cloudEventsTopic, null, """
                [{"specversion": "1.0", "id": "r-3", "source": "gw://it", "type": "api.request", "subject": "raw-globex",
                  "time": "2026-11-21T10:00:12Z", "data": {"meters": {"output_tokens": 9}}}]""");

        List<ConsumerRecord<String, UsageEvent>> records = ingest.usageEvents("raw-", 3);
        List<ConsumerRecord<byte[], DeadLetter>> letters = ingest.deadLetters(1);

        assertThat(records).extracting(r -> r.key() + " " + r.value().getSource() + "/" + r.value().getId() + " @" + r.timestamp())
                .containsExactlyInAnyOrder(
                        "raw-acme kong/r-1 @1763719210000",
                        "raw-umbrella apisix-it/r-2 @1763719211000",
                        "raw-globex gw://it/r-3 @" + Instant.parse("2026-11-21T10:00:12Z").toEpochMilli());
        assertThat(letters).hasSize(1);
        DeadLetter letter = letters.get(0).value();
        assertThat(letter.getTopic()).isEqualTo(ingest.apisixTopic);
        assertThat(letter.getStage()).isEqualTo("ingest-parse");
        assertThat(letter.getReason()).isEqualTo("not valid JSON at line 1, column 2: Unexpected character ('n' (code 110)): was expecting double-quote to start field name");
        assertThat(letter.getValue()).isEqualTo(ByteBuffer.wrap("{not json".getBytes(StandardCharsets.UTF_8)));
        assertThat(letter.getKey()).isEqualTo(ByteBuffer.wrap("k".getBytes(StandardCharsets.UTF_8)));
        assertThat(letters.get(0).key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
    }

    private static String awsLine(String id, String consumer, long epochMs) {
        return """
                {"requestId":"r","extendedRequestId":"%s","accountId":"123456789012","apiId":"ymy8tbxw7b","stage":"prod",
                 "resourcePath":"/v1/orders/{id}","path":"/v1/orders/1","httpMethod":"GET","status":"200","requestTimeEpoch":"%d",
                 "consumerId":"%s","responseLength":"9982","integrationStatus":"200","errorType":"-"}""".formatted(id, epochMs, consumer);
    }

    @Test
    void apiparkAndAwsRecordsArriveOverHttpFirehoseAndRawTopics() throws Exception {
        String apipark = """
                {"id":"%s","msec":%d,"cluster":"c1","node":"n1","application":"%s","api":"api-1","request_method":"POST",
                 "uri":"/demo","status":200,"proxy_status":200,"request_length":139,"response_length":"9982",
                 "ai_model_input_token":25,"ai_model_output_token":12}""";
        String line = awsLine("fh-1", "gw7-firehose", 1763719220000L);
        String delivery = "{\"requestId\":\"fh-req-1\",\"timestamp\":1763719221000,\"records\":[{\"data\":\""
                + java.util.Base64.getEncoder().encodeToString(line.getBytes(StandardCharsets.UTF_8)) + "\"}]}";

        HttpResponse<String> viaHttp = ingest.post("/v1/events/apipark", "application/json", apipark.formatted("ap-1", 1763719222000L, "gw7-apipark-http"));
        HttpResponse<String> viaFirehose = ingest.post("/v1/events/aws-firehose", "application/json", delivery,
                "X-Amz-Firehose-Request-Id", "fh-req-1");
        ingest.produceRaw(ingest.apiparkTopic, null, apipark.formatted("ap-2", 1763719223000L, "gw7-apipark-raw"));
        ingest.produceRaw(ingest.awsTopic, null, awsLine("aws-2", "gw7-aws-raw", 1763719224000L));

        assertThat(viaHttp.statusCode()).isEqualTo(202);
        assertThat(viaFirehose.statusCode()).isEqualTo(200);
        assertThat(viaFirehose.body()).startsWith("{\"requestId\":\"fh-req-1\",\"timestamp\":");
        assertThat(ingest.usageEvents("gw7-", 4)).extracting(r -> r.key() + " " + r.value().getSource() + "/" + r.value().getId() + " @" + r.timestamp())
                .containsExactlyInAnyOrder(
                        "gw7-apipark-http apipark:c1/n1/ap-1 @1763719222000",
                        "gw7-firehose aws-apigw:123456789012/ymy8tbxw7b/prod/fh-1 @1763719220000",
                        "gw7-apipark-raw apipark:c1/n1/ap-2 @1763719223000",
                        "gw7-aws-raw aws-apigw:123456789012/ymy8tbxw7b/prod/aws-2 @1763719224000");
    }
}
