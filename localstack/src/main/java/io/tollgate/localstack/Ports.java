package io.tollgate.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Loopback port helpers: every process of the local stack binds 127.0.0.1 only. */
public final class Ports {
    public static final String LOOPBACK = "127.0.0.1";

    private Ports() {
    }

    /** A port that was free a moment ago (the OS picks it). */
    public static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }

    /** Whether something accepts connections on 127.0.0.1:{@code port}. */
    public static boolean isListening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether 127.0.0.1:{@code port} can be bound right now. */
    public static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(LOOPBACK, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails with a message naming the port, its user and what to do, when {@code port} is taken. */
    public static void requireFree(int port, String what, String option) {
        if (!isFree(port)) {
            throw new PortInUseException(port, what, option);
        }
    }

    /** A port of the local stack is already bound by another process. */
    public static final class PortInUseException extends IllegalStateException {
        private final int port;

        public PortInUseException(int port, String what, String option) {
            super("port " + port + " (" + what + ") is already in use on " + LOOPBACK
                    + ": stop whatever listens there (see `ss -ltnp 'sport = :" + port + "'`)"
                    + (option == null ? "" : " or choose another port with " + option));
            this.port = port;
        }

        public int port() {
            return port;
        }
    }
}
