package io.tollgate.deploy.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A consumer of the demo and the story it tells. {@code credits} is the first grant of a prepaid consumer;
 * {@code spendLimit} caps a postpaid one.
 */
record DemoConsumer(String id, String billing, String credits, String spendLimit, String story) {
    static final String PREPAID = "prepaid";
    static final String POSTPAID = "postpaid";

    static final DemoConsumer ACME = new DemoConsumer("acme", PREPAID, "25.00", null,
            "REST API through Kong http-log and kafka-log");
    static final DemoConsumer UMBRELLA = new DemoConsumer("umbrella", PREPAID, "10.00", null,
            "LLM chat through Kong AI Proxy, kafka-log");
    static final DemoConsumer GLOBEX = new DemoConsumer("globex", POSTPAID, null, "500.00",
            "REST and LLM through APISIX http-logger and kafka-logger");
    /** Few credits: crosses them in round 2, is denied with 402, tops up and is allowed again. */
    static final DemoConsumer INITECH = new DemoConsumer("initech", PREPAID, "0.05", null,
            "LLM agent, canonical events and CloudEvents, few credits");

    static final List<DemoConsumer> ALL = List.of(ACME, UMBRELLA, GLOBEX, INITECH);

    boolean prepaid() {
        return PREPAID.equals(billing);
    }

    ObjectNode body(ObjectMapper json) {
        ObjectNode body = json.createObjectNode();
        body.put("plan", DemoPlan.ID);
        body.put("status", "active");
        body.put("billing", billing);
        if (spendLimit != null) {
            body.put("spendLimit", spendLimit);
        }
        return body;
    }
}
