package io.tollgate.deploy.demo;

import io.tollgate.deploy.LocalStack;
import io.tollgate.deploy.ServiceSpec;
import io.tollgate.deploy.TollgateCli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo's own {@link LocalStack}: a fresh data directory and free ports, so that it never meets the data or the
 * ports of a {@code ./tollgate up} running next to it. A shutdown hook stops it if the demo is interrupted (Ctrl-C).
 */
final class LocalDemoStack implements DemoStack {
    private final LocalStack stack;
    private final Thread stopOnExit;

    private LocalDemoStack(LocalStack stack) {
        this.stack = stack;
        this.stopOnExit = new Thread(stack::close, "tollgate-demo-stop");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    static DemoStack start(Path dataDir, PrintStream out) {
        out.println("Starting the local stack on free ports (Kafka broker, schema registry, metering-ingest, metering-streams,"
                + " billing-service); data in " + dataDir);
        LocalStack stack = LocalStack.start(new LocalStack.Options(TollgateCli.repoRoot()).dataDir(dataDir).onFreePorts());
        List<String> missing = ServiceSpec.ALL.stream().filter(spec -> stack.url(spec).isEmpty()).map(ServiceSpec::name).toList();
        if (!missing.isEmpty()) {
            stack.close();
            throw new IllegalStateException("not built: " + String.join(", ", missing)
                    + "; build them with ./mvnw -q install -DskipTests (./tollgate does it for you)");
        }
        return new LocalDemoStack(stack);
    }

    @Override
    public String ingestUrl() {
        return stack.url(ServiceSpec.METERING_INGEST).orElseThrow();
    }

    @Override
    public String billingUrl() {
        return stack.url(ServiceSpec.BILLING_SERVICE).orElseThrow();
    }

    @Override
    public String bootstrapServers() {
        return stack.bootstrapServers();
    }

    @Override
    public String adminToken() {
        return stack.adminToken();
    }

    @Override
    public String decisionToken() {
        return stack.decisionToken();
    }

    @Override
    public List<String> describe() {
        return stack.describe();
    }

    @Override
    public List<Integer> ports() {
        return stack.ports();
    }

    @Override
    public void close() {
        stack.close();
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook runs close() again, which is idempotent.
        }
    }
}
