package io.tollgate.deploy.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The HTTP floor: nginx answering {@code return 200;} on loopback with as many workers as billing-service has event
 * loops, access log off. Whatever the load generator and the loopback cost shows up here too, so the ratio to it is
 * what billing-service's decisions add.
 */
final class NginxFloor implements AutoCloseable {
    private final Process process;
    private final int port;

    private NginxFloor(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The nginx binary on this machine, if any. */
    static Optional<Path> binary() {
        return Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(":")), Stream.of("/usr/sbin", "/usr/local/sbin"))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, "nginx"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    static String config(Path dir, int port, int workers) {
        String d = dir.toAbsolutePath().toString();
        return String.join("\n",
                "worker_processes " + workers + ";",
                "daemon off;",
                "pid " + d + "/nginx.pid;",
                "error_log " + d + "/error.log warn;",
                "events { worker_connections 4096; }",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + d + "/body;",
                "  proxy_temp_path " + d + "/proxy;",
                "  fastcgi_temp_path " + d + "/fastcgi;",
                "  uwsgi_temp_path " + d + "/uwsgi;",
                "  scgi_temp_path " + d + "/scgi;",
                "  keepalive_requests 1000000;",
                "  server { listen 127.0.0.1:" + port + "; location / { return 200; } }",
                "}", "");
    }

    static NginxFloor start(Path binary, Path dir, int port, int workers) throws IOException {
        Files.createDirectories(dir);
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, config(dir, port, workers));
        Process process = new ProcessBuilder(binary.toString(), "-p", dir.toString(), "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        NginxFloor floor = new NginxFloor(process, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!floor.listening()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                floor.close();
                throw new IOException("nginx did not start on port " + port + ": " + String.join(" | ",
                        Files.readAllLines(dir.resolve("nginx.out"))));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return floor;
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + port + "/v1/authorize");
    }

    long pid() {
        return process.pid();
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        List<ProcessHandle> workers = process.descendants().toList();
        process.destroy(); // SIGTERM: nginx's fast shutdown, workers included
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        workers.forEach(worker -> {
            if (worker.isAlive()) {
                worker.destroyForcibly();
            }
        });
    }
}
