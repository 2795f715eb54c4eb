package io.tollgate.ingest;

import io.tollgate.runtime.Lifecycle;

/** {@code java -jar metering-ingest/target/metering-ingest.jar}; configured by environment (see {@link IngestConfig}). */
public final class IngestMain {
    private IngestMain() {
    }

    public static void main(String[] args) throws Exception {
        Lifecycle lifecycle = new Lifecycle("metering-ingest").installShutdownHook();
        lifecycle.register(IngestService.start(IngestConfig.fromEnvironment()));
        lifecycle.awaitShutdown();
    }
}
