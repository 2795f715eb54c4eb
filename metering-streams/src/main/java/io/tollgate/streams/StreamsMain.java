package io.tollgate.streams;

import io.tollgate.runtime.EnvConfig;
import io.tollgate.runtime.Lifecycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar metering-streams/target/metering-streams.jar}, configured by environment (see README). */
public final class StreamsMain {
    private static final Logger log = LoggerFactory.getLogger(StreamsMain.class);

    private StreamsMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        MeteringConfig config = MeteringConfig.fromEnvironment();
        MeteringApp app;
        try {
            app = MeteringApp.start(config);
        } catch (RuntimeException e) {
            log.error("metering-streams cannot start: {}", e.getMessage(), e);
            System.exit(1);
            return;
        }
        Lifecycle lifecycle = new Lifecycle("metering-streams").installShutdownHook(EnvConfig.shutdownTimeout(config));
        lifecycle.register(app);
        boolean failed = app.awaitStop();
        lifecycle.close();
        if (failed) {
            log.error("metering-streams stopped after a failure");
            System.exit(1);
        }
    }
}
