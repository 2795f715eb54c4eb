package io.tollgate.deploy;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./tollgate up}: starts the local stack in the foreground and keeps it running until Ctrl-C or SIGTERM,
 * which stop every process it started (services, then registry, then broker).
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start the local stack (Kafka broker, schema registry, topics, and the built services) in the foreground.",
                "Ctrl-C stops everything it started. Data is kept in the data directory across restarts."})
public final class UpCommand implements Callable<Integer> {

    @Option(names = "--data-dir", description = "Where the broker's logs, the registry's journal, state and logs live (default: .tollgate/ at the repository root).")
    Path dataDir;

    @Option(names = "--fresh", description = "Wipe the data directory first.")
    boolean fresh;

    @Option(names = "--infra-only", description = "Start only the broker and the schema registry.")
    boolean infraOnly;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT", description = "Use this Kafka instead of starting one (needs --schema-registry-url).")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL", description = "Use this Confluent-compatible registry (e.g. http://host:8081/apis/ccompat/v7).")
    String schemaRegistryUrl;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka broker port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--controller-port", defaultValue = "9093", description = "KRaft controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Schema registry port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--ingest-port", defaultValue = "8080", description = "metering-ingest HTTP port (default: ${DEFAULT-VALUE}).")
    int ingestPort;

    @Option(names = "--streams-port", defaultValue = "8070", description = "metering-streams HTTP port (default: ${DEFAULT-VALUE}).")
    int streamsPort;

    @Option(names = "--billing-port", defaultValue = "8090", description = "billing-service HTTP port (default: ${DEFAULT-VALUE}).")
    int billingPort;

    @Option(names = "--grpc-port", defaultValue = "9191", description = "billing-service Envoy ext_authz gRPC port (default: ${DEFAULT-VALUE}).")
    int grpcPort;

    @Option(names = "--registry-java", paramLabel = "JAVA", description = "A Java 21+ (executable or JDK home) for the schema registry; default: found automatically.")
    String registryJava;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        LocalStack.Options options = new LocalStack.Options(TollgateCli.repoRoot())
                .fresh(fresh).infraOnly(infraOnly)
                .kafkaPort(kafkaPort).controllerPort(controllerPort).registryPort(registryPort)
                .servicePort(ServiceSpec.METERING_INGEST, ingestPort)
                .servicePort(ServiceSpec.METERING_STREAMS, streamsPort)
                .servicePort(ServiceSpec.BILLING_SERVICE, billingPort)
                .extAuthzGrpcPort(grpcPort)
                .registryJava(registryJava);
        if (dataDir != null) {
            options.dataDir(dataDir);
        }
        if (bootstrapServers != null || schemaRegistryUrl != null) {
            options.external(bootstrapServers, schemaRegistryUrl);
        }
        LocalStack stack;
        try {
            stack = LocalStack.start(options);
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            System.err.println("tollgate up: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("stopping the local stack...");
            stack.close();
            out.println("stopped");
            stopped.countDown();
        }, "tollgate-up-shutdown"));
        out.println();
        out.println("Tollgate is up. Ctrl-C stops it.");
        stack.describe().forEach(line -> out.println("  " + line));
        out.println();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
