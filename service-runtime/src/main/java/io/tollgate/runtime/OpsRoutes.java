package io.tollgate.runtime;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.Router;

import java.util.function.Supplier;

/**
 * The three routes every Tollgate HTTP service serves: {@code GET /healthz} (the process is alive),
 * {@code GET /readyz} (200 only when connected to Kafka and its state is restored; 503 with the reason
 * otherwise) and {@code GET /metrics} (Prometheus text format).
 */
public final class OpsRoutes {
    private OpsRoutes() {
    }

    /** Readiness with the reason when not ready. */
    public record Readiness(boolean ready, String detail) {
        public static Readiness yes() {
            return new Readiness(true, "ready");
        }

        public static Readiness notReady(String why) {
            return new Readiness(false, why);
        }
    }

    public static void mount(Router router, PrometheusMeterRegistry metrics, Supplier<Readiness> readiness) {
        router.get("/healthz").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
                .end("{\"status\":\"alive\"}"));
        router.get("/readyz").handler(ctx -> {
            Readiness r = readiness.get();
            ctx.response().setStatusCode(r.ready() ? 200 : 503)
                    .putHeader("Content-Type", "application/json")
                    .end("{\"ready\":" + r.ready() + ",\"detail\":" + quote(r.detail()) + "}");
        });
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                .end(metrics.scrape()));
    }

    private static String quote(String s) {
        return "\"" + (s == null ? "" : s.replace("\\", "\\\\").replace("\"", "\\\"")) + "\"";
    }
}
