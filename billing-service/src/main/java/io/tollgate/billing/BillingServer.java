package io.tollgate.billing;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.billing.decision.DecisionEndpoints;
import io.tollgate.runtime.OpsRoutes;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The HTTP server of billing-service: one server per event loop on the same port. Forward auth is answered
 * directly from the request handler (no router on the hot path); everything else (decisions JSON, ops routes,
 * accounts and finance) goes through one shared router.
 */
public final class BillingServer implements AutoCloseable {
    private final Vertx vertx;
    private final int port;

    private BillingServer(Vertx vertx, int port) {
        this.vertx = vertx;
        this.port = port;
    }

    /**
     * @param moreRoutes mounts further routes (accounts, finance) on the shared router
     */
    public static BillingServer start(String host, int port, int eventLoops, PrometheusMeterRegistry metrics,
                                      Supplier<OpsRoutes.Readiness> readiness, DecisionEndpoints decisions,
                                      Consumer<Router> moreRoutes) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
        try {
            Router router = Router.router(vertx);
            OpsRoutes.mount(router, metrics, readiness);
            decisions.mount(router);
            moreRoutes.accept(router);
            Handler<HttpServerRequest> handler = request -> {
                if (DecisionEndpoints.isAuthorizePath(request.path())) {
                    decisions.authorize(request);
                } else {
                    router.handle(request);
                }
            };
            int listenPort = port == 0 && eventLoops > 1 ? freePort(host) : port;
            AtomicInteger actualPort = new AtomicInteger();
            HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(listenPort)
                    .setTcpNoDelay(true).setCompressionSupported(false);
            vertx.deployVerticle(() -> new AbstractVerticle() {
                @Override
                public void start(Promise<Void> started) {
                    vertx.createHttpServer(options).requestHandler(handler).listen()
                            .onSuccess(server -> {
                                actualPort.set(server.actualPort());
                                started.complete();
                            })
                            .onFailure(started::fail);
                }
            }, new DeploymentOptions().setInstances(eventLoops)).toCompletionStage().toCompletableFuture().join();
            return new BillingServer(vertx, actualPort.get());
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public Vertx vertx() {
        return vertx;
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host, e);
        }
    }
}
