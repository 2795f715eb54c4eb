package io.tollgate.billing;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.runtime.Lifecycle;
import io.tollgate.runtime.OpsRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Entry point of billing-service: {@code java -jar billing-service/target/billing-service.jar}, configured by environment. */
public final class BillingMain {
    private static final Logger log = LoggerFactory.getLogger(BillingMain.class);

    private BillingMain() {
    }

    public static void main(String[] args) throws Exception {
        BillingConfig config = BillingConfig.fromEnvironment();
        Lifecycle lifecycle = new Lifecycle("billing-service").installShutdownHook();
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Vertx vertx = Vertx.vertx();
        lifecycle.register(() -> vertx.close().toCompletionStage().toCompletableFuture().join());
        Router router = Router.router(vertx);
        OpsRoutes.mount(router, metrics, OpsRoutes.Readiness::yes);
        HttpServer server = vertx.createHttpServer().requestHandler(router)
                .listen(config.getInt(BillingConfig.PORT), config.getString(BillingConfig.HOST))
                .toCompletionStage().toCompletableFuture().join();
        log.info("billing-service listening on {}:{}", config.getString(BillingConfig.HOST), server.actualPort());
        lifecycle.awaitShutdown();
    }
}
