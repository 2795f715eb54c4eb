package io.tollgate.deploy;

import java.nio.file.Path;
import java.util.List;

/**
 * One Tollgate service as the local stack launches it: {@code java -jar <module>/target/<module>.jar}, its HTTP
 * port passed through {@code portEnv}, ready when {@code GET /readyz} answers 200.
 */
public record ServiceSpec(String name, int defaultPort, String portEnv) {
    public static final ServiceSpec METERING_INGEST = new ServiceSpec("metering-ingest", 8080, "TOLLGATE_INGEST_PORT");
    public static final ServiceSpec METERING_STREAMS = new ServiceSpec("metering-streams", 8070, "TOLLGATE_STREAMS_HTTP_PORT");
    public static final ServiceSpec BILLING_SERVICE = new ServiceSpec("billing-service", 8090, "TOLLGATE_BILLING_PORT");

    /** In start order: ingest accepts events first, streams turns them into balances, billing answers from them. */
    public static final List<ServiceSpec> ALL = List.of(METERING_INGEST, METERING_STREAMS, BILLING_SERVICE);

    /** Where the build puts the runnable jar. */
    public Path jar(Path repoRoot) {
        return repoRoot.resolve(name).resolve("target").resolve(name + ".jar");
    }
}
