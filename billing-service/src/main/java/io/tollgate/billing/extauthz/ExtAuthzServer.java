package io.tollgate.billing.extauthz;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The gRPC server of {@link ExtAuthzService} (SPEC §3: port 9191). */
public final class ExtAuthzServer implements AutoCloseable {
    private final Server server;

    private ExtAuthzServer(Server server) {
        this.server = server;
    }

    /** Listens on {@code host:port} (0 for any free port); every call passes the service's credentials check first. */
    public static ExtAuthzServer start(String host, int port, ExtAuthzService service) {
        try {
            return new ExtAuthzServer(NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                    .addService(ServerInterceptors.intercept(service, service.credentials())).build().start());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for ext_authz gRPC on " + host + ":" + port, e);
        }
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            server.shutdownNow();
        }
    }
}
