package io.tollgate.deploy.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class NginxFloorTest {
    @Test
    void answersAStatic200OnLoopbackWithOneWorkerPerEventLoopAndNoAccessLog() {
        String config = NginxFloor.config(Path.of("/tmp/floor"), 18091, 2);

        assertThat(config).contains("worker_processes 2;", "daemon off;", "access_log off;", "pid /tmp/floor/nginx.pid;",
                "server { listen 127.0.0.1:18091; location / { return 200; } }", "keepalive_requests 1000000;");
    }
}
