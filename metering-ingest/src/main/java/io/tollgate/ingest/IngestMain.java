package io.tollgate.ingest;

import io.tollgate.runtime.EnvConfig;
import io.tollgate.runtime.Lifecycle;

/** {@code java -jar metering-ingest/target/metering-ingest.jar}; configured by environment (see {@link IngestConfig}). */
public final class IngestMain {
    private IngestMain() {
    }

    public static void main(String[] args) throws Exception {
        IngestConfig config = IngestConfig.fromEnvironment();
        Lifecycle lifecycle = new Lifecycle("metering-ingest").installShutdownHook(EnvConfig.shutdownTimeout(config));
        lifecycle.register(IngestService.start(config));
        lifecycle.awaitShutdown();
    }
}
