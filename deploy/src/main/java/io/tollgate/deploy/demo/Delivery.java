package io.tollgate.deploy.demo;

import java.util.List;

/** One write of gateway traffic into Tollgate: an HTTP request to metering-ingest or a record on a raw topic. */
sealed interface Delivery {
    /** What a reader of the demo's output sees, e.g. "Kong http-log batch of 60 -> POST /v1/events/kong". */
    String label();

    List<GatewayCall> calls();

    record Http(String label, String path, String contentType, byte[] body, List<GatewayCall> calls) implements Delivery {
    }

    /** {@code key} may be null: Kong kafka-log and APISIX kafka-logger write unkeyed records by default. */
    record Topic(String label, String topic, String key, byte[] value, List<GatewayCall> calls) implements Delivery {
    }
}
