package io.tollgate.ingest.raw;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;
import io.tollgate.ingest.IngestConfig;
import io.tollgate.ingest.IngestMetrics;
import io.tollgate.ingest.IngestService;
import io.tollgate.schemas.registry.InMemorySchemaRegistry;
import io.tollgate.schemas.serde.AvroSerde;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class RawTopicsTopologyTest {
    private static final Instant WALL_CLOCK = Instant.parse("2026-11-21T10:00:00Z");
    private static final String KONG = """
            {"request": {"id": "k-1", "method": "GET", "uri": "/orders", "size": 139}, "response": {"status": 200, "size": 9982},
             "source": "upstream", "started_at": 1726783839538, "service": {"name": "orders"}, "consumer": {"custom_id": "acme"}}""";
    private static final String APISIX = """
            {"start_time": 1619414294760, "route_id": "1", "request": {"method": "GET", "uri": "/hello", "size": 90,
             "headers": {"x-request-id": "a-1"}}, "response": {"status": 200, "size": 190}, "consumer": {"username": "jack"},
             "server": {"hostname": "apisix-1"}}""";
    private static final String CLOUD_EVENT = """
            {"specversion": "1.0", "id": "ce-1", "source": "gw://eu-1", "type": "com.acme.api.request", "subject": "globex",
             "time": "2026-11-21T09:59:00Z", "data": {"meters": {"input_tokens": 1200}}}""";

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> kong;
    private TestInputTopic<byte[], byte[]> apisix;
    private TestInputTopic<byte[], byte[]> cloudEvents;
    private TestOutputTopic<String, UsageEvent> usage;
    private TestOutputTopic<byte[], DeadLetter> deadLetters;

    static Topology topology(InMemorySchemaRegistry registry, IngestMetrics metrics) {
        return RawTopicsTopology.build(IngestService.rawTopics(new IngestConfig(Map.of())),
                new RawTopicsTopology.Sinks("usage.events", AvroSerde.forValues(UsageEvent.class, registry),
                        "usage.events.dlq", AvroSerde.forValues(DeadLetter.class, registry)),
                metrics);
    }

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "tollgate-ingest-raw-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(topology(registry, new IngestMetrics(meters)), props, WALL_CLOCK);
        ByteArraySerializer bytes = new ByteArraySerializer();
        kong = driver.createInputTopic("gateway.kong.logs", bytes, bytes);
        apisix = driver.createInputTopic("gateway.apisix.logs", bytes, bytes);
        cloudEvents = driver.createInputTopic("gateway.cloudevents", bytes, bytes);
        usage = driver.createOutputTopic("usage.events", new StringDeserializer(), AvroSerde.forValues(UsageEvent.class, registry).deserializer());
        deadLetters = driver.createOutputTopic("usage.events.dlq", new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                AvroSerde.forValues(DeadLetter.class, registry).deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void normalizesEachRawTopicIntoUsageEventsKeyedByConsumerAtEventTime() {
        kong.pipeInput(utf8("any-key"), utf8(KONG));
        apisix.pipeInput(null, utf8("[" + APISIX + "]"));
        cloudEvents.pipeInput(null, utf8(CLOUD_EVENT));

        List<TestRecord<String, UsageEvent>> out = usage.readRecordsToList();

        assertThat(out).extracting(TestRecord::key).containsExactly("acme", "jack", "globex");
        assertThat(out).extracting(TestRecord::getRecordTime).containsExactly(
                Instant.ofEpochMilli(1726783839538L), Instant.ofEpochMilli(1619414294760L), Instant.parse("2026-11-21T09:59:00Z"));
        assertThat(out).extracting(r -> r.value().getGateway()).containsExactly("kong", "apisix", "cloudevents");
        assertThat(out).extracting(r -> r.value().getSource() + "/" + r.value().getId())
                .containsExactly("kong/k-1", "apisix-1/a-1", "gw://eu-1/ce-1");
        assertThat(out.get(0).value().getMeters()).isEqualTo(Map.of("requests", 1L, "bytes_in", 139L, "bytes_out", 9982L));
        assertThat(out.get(0).value().getIngestTime()).isEqualTo(WALL_CLOCK);
        for (TestRecord<String, UsageEvent> record : out) {
            Header ingestTime = record.headers().lastHeader("tollgate-ingest-time");
            assertThat(new String(ingestTime.value(), StandardCharsets.UTF_8)).isEqualTo(Long.toString(WALL_CLOCK.toEpochMilli()));
        }
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void normalizesApiparkAndAwsAccessLogTopics() {
        TestInputTopic<byte[], byte[]> apipark = driver.createInputTopic("gateway.apipark.logs", new ByteArraySerializer(), new ByteArraySerializer());
        TestInputTopic<byte[], byte[]> aws = driver.createInputTopic("gateway.aws.logs", new ByteArraySerializer(), new ByteArraySerializer());

        apipark.pipeInput(null, utf8("""
                {"id": "ap-1", "msec": 1761488904123, "cluster": "c1", "node": "n1", "application": "app-42", "api": "api-1",
                 "request_method": "POST", "uri": "/demo", "status": 200, "proxy_status": 200, "request_length": 139,
                 "response_length": "9982", "ai_model_input_token": 25, "ai_model_output_token": 12}"""));
        aws.pipeInput(null, utf8("""
                {"requestId": "r-1", "extendedRequestId": "Tz1ZqFxsIAMFzXw=", "accountId": "123456789012", "apiId": "ymy8tbxw7b",
                 "stage": "prod", "resourcePath": "/v1/orders/{id}", "path": "/v1/orders/123", "httpMethod": "GET", "status": "200",
                 "requestTimeEpoch": "1761488904123", "consumerId": "cons_42", "responseLength": "9982", "integrationStatus": "200",
                 "errorType": "-"}"""));

        assertThat(usage.readRecordsToList()).extracting(r -> r.key() + " " + r.value().getSource() + "/" + r.value().getId())
                .containsExactly("app-42 apipark:c1/n1/ap-1", "cons_42 aws-apigw:123456789012/ymy8tbxw7b/prod/Tz1ZqFxsIAMFzXw=");
    }

    @Test
    void readsCloudEventsInKafkaBinaryMode() {
        org.apache.kafka.common.header.internals.RecordHeaders headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add("ce_specversion", utf8("1.0")).add("ce_id", utf8("bin-1")).add("ce_source", utf8("gw://bin"))
                .add("ce_type", utf8("api.request")).add("ce_subject", utf8("initech")).add("ce_time", utf8("2026-11-21T09:00:00Z"))
                .add("content-type", utf8("application/json"));

        cloudEvents.pipeInput(new TestRecord<>(utf8("k"), utf8("{\"meters\": {\"output_tokens\": \"3\"}}"), headers, WALL_CLOCK));

        TestRecord<String, UsageEvent> out = usage.readRecord();
        assertThat(out.key()).isEqualTo("initech");
        assertThat(out.value().getId()).isEqualTo("bin-1");
        assertThat(out.value().getMeters()).isEqualTo(Map.of("output_tokens", 3L));
        assertThat(out.getRecordTime()).isEqualTo(Instant.parse("2026-11-21T09:00:00Z"));
    }

    @Test
    void datesAnEventWithoutATimeOfItsOwnAtItsRecordTimestampNotAtProcessingTime() {
        Instant written = WALL_CLOCK.minus(java.time.Duration.ofDays(3));
        String noTime = CLOUD_EVENT.replace("\"time\": \"2026-11-21T09:59:00Z\", ", "");
        org.apache.kafka.common.header.internals.RecordHeaders binary = new org.apache.kafka.common.header.internals.RecordHeaders();
        binary.add("ce_specversion", utf8("1.0")).add("ce_id", utf8("bin-2")).add("ce_source", utf8("gw://bin"))
                .add("ce_type", utf8("api.request")).add("ce_subject", utf8("initech"));

        cloudEvents.pipeInput(new TestRecord<>(utf8("k"), utf8(noTime), new org.apache.kafka.common.header.internals.RecordHeaders(), written));
        cloudEvents.pipeInput(new TestRecord<>(utf8("k"), utf8("{\"meters\": {\"requests\": 1}}"), binary, written.plusMillis(1)));

        List<TestRecord<String, UsageEvent>> out = usage.readRecordsToList();
        assertThat(out).extracting(r -> r.value().getId()).containsExactly("ce-1", "bin-2");
        assertThat(out).extracting(r -> r.value().getEventTime()).containsExactly(written, written.plusMillis(1));
        assertThat(out).extracting(TestRecord::getRecordTime).containsExactly(written, written.plusMillis(1));
        assertThat(out).extracting(r -> r.value().getIngestTime()).containsOnly(WALL_CLOCK);
        assertThat(deadLetters.isEmpty()).isTrue();
    }

    @Test
    void refusesAnEventWithoutATimeWhoseRecordIsDatedInTheFuture() {
        String noTime = CLOUD_EVENT.replace("\"time\": \"2026-11-21T09:59:00Z\", ", "");

        cloudEvents.pipeInput(new TestRecord<>(utf8("k"), utf8(noTime), new org.apache.kafka.common.header.internals.RecordHeaders(),
                WALL_CLOCK.plus(java.time.Duration.ofHours(1))));

        assertThat(usage.isEmpty()).isTrue();
        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getStage()).isEqualTo("ingest-validate");
        assertThat(letter.getReason()).isEqualTo("index 0 time: more than 5 minutes after its receipt (2026-11-21T11:00:00Z)");
    }

    @Test
    void sendsGarbageToTheDeadLettersWithItsReasonAndGoesOn() {
        kong.pipeInput(utf8("k"), utf8("this is not json"));
        kong.pipeInput(utf8("k2"), utf8(KONG));

        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getTopic()).isEqualTo("gateway.kong.logs");
        assertThat(letter.getPartition()).isEqualTo(0);
        assertThat(letter.getOffset()).isEqualTo(0L);
        assertThat(letter.getStage()).isEqualTo("ingest-parse");
        assertThat(letter.getReason()).startsWith("not valid JSON at line 1, column 6: Unrecognized token 'this'");
        assertThat(letter.getKey()).isEqualTo(ByteBuffer.wrap(utf8("k")));
        assertThat(letter.getValue()).isEqualTo(ByteBuffer.wrap(utf8("this is not json")));
        assertThat(letter.getTime()).isEqualTo(WALL_CLOCK);
        assertThat(usage.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("acme");
        assertThat(meters.get("tollgate.ingest.dead.letters").tag("stage", "ingest-parse").counter().count()).isEqualTo(1.0);
    }

    @Test
    void passesTheValidElementsOfABatchOnAndDeadLettersTheRecordNamingTheBadOnes() {
        String noTime = APISIX.replace("\"start_time\": 1619414294760, ", "").replace("a-1", "a-2");
        String badTokens = APISIX.replace("a-1", "a-3").replace("\"route_id\": \"1\"", "\"route_id\": \"1\", \"llm_summary\": {\"prompt_tokens\": 2.5}");
        byte[] value = utf8("[" + APISIX + "," + noTime + "," + badTokens + "]");

        apisix.pipeInput(utf8("batch"), value);

        assertThat(usage.readValuesToList()).extracting(UsageEvent::getId).containsExactly("a-1");
        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getStage()).isEqualTo("ingest-validate");
        assertThat(letter.getReason()).isEqualTo("index 1 start_time: required; index 2 llm_summary.prompt_tokens: must be an integer");
        assertThat(letter.getValue()).isEqualTo(ByteBuffer.wrap(value));
    }

    @Test
    void skipsKongGatewayResponsesWithoutADeadLetter() {
        kong.pipeInput(null, utf8(KONG.replace("\"upstream\"", "\"kong\"")));

        assertThat(usage.isEmpty()).isTrue();
        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(meters.get("tollgate.ingest.events.skipped").tag("reason", "gateway_response").counter().count()).isEqualTo(1.0);
    }

    @Test
    void sendsRecordsWithoutAValueToTheDeadLetters() {
        kong.pipeInput(utf8("tombstone"), (byte[]) null);

        DeadLetter letter = deadLetters.readValue();
        assertThat(letter.getStage()).isEqualTo("ingest-parse");
        assertThat(letter.getReason()).isEqualTo("the record has no value");
        assertThat(letter.getValue()).isNull();
    }

    @Test
    void topologyNamesAreLockedSoARenameFailsHere() {
        TopologyDescription description = topology(registry, new IngestMetrics(meters)).describe();

        assertThat(description.subtopologies()).hasSize(1);
        assertThat(description.subtopologies().iterator().next().nodes().stream()
                .map(node -> node.name() + " -> " + node.successors().stream().map(TopologyDescription.Node::name).sorted().toList())
                .sorted().toList())
                .containsExactly(
                        "dead-letter-sink -> []",
                        "dead-letter-value -> [dead-letter-sink]",
                        "key-by-consumer -> [usage-events-sink]",
                        "normalize -> [outcome-]",
                        "outcome- -> [outcome-dead-letter, outcome-usage]",
                        "outcome-dead-letter -> [dead-letter-value]",
                        "outcome-usage -> [key-by-consumer]",
                        "raw-gateway-logs -> [normalize]",
                        "usage-events-sink -> []");
        TopologyDescription.Source source = (TopologyDescription.Source) description.subtopologies().iterator().next().nodes().stream()
                .filter(node -> node.name().equals("raw-gateway-logs")).findFirst().orElseThrow();
        assertThat(source.topicSet()).containsExactlyInAnyOrder("gateway.kong.logs", "gateway.apisix.logs", "gateway.cloudevents",
                "gateway.apipark.logs", "gateway.aws.logs");
    }
}
