package io.tollgate.deploy.demo;

import java.util.List;

/** Where the demo plays: the addresses of a running Tollgate, and how to stop it (if the demo started it). */
interface DemoStack extends AutoCloseable {
    String ingestUrl();

    String billingUrl();

    String bootstrapServers();

    String adminToken();

    /** The token gateways present to the decision endpoints; null when decisions are open. */
    String decisionToken();

    /** Lines for the reader: ports, data directory, where the logs are. */
    List<String> describe();

    /** Ports on 127.0.0.1 that must be free again once the stack is closed. */
    List<Integer> ports();

    /** Whether {@link #close()} stops it: true when the demo started it. */
    default boolean ownedByDemo() {
        return true;
    }

    /** Stops what the demo started; leaves an external stack alone. */
    @Override
    void close();

    /** A stack somebody else runs (e.g. {@code ./tollgate up}): nothing to stop. */
    record External(String ingestUrl, String billingUrl, String bootstrapServers, String adminToken, String decisionToken)
            implements DemoStack {
        @Override
        public List<String> describe() {
            return List.of("ingest " + ingestUrl, "billing " + billingUrl, "kafka " + bootstrapServers);
        }

        @Override
        public List<Integer> ports() {
            return List.of();
        }

        @Override
        public boolean ownedByDemo() {
            return false;
        }

        @Override
        public void close() {
        }
    }
}
