package io.tollgate.deploy.finance;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The finance commands against a stand-in billing-service that answers like the real one. */
class FinanceCommandsTest {
    HttpServer billing;
    final List<String> requests = new CopyOnWriteArrayList<>();
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void startBilling() throws IOException {
        billing = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        billing.createContext("/", exchange -> {
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            String uri = exchange.getRequestURI().toString();
            requests.add(uri);
            int status;
            String type = "application/json";
            String body;
            if (!"Bearer s3cret".equals(auth)) {
                status = 401;
                type = "application/problem+json";
                body = "{\"type\":\"https://tollgate.dev/problems/unauthorized\",\"title\":\"Unauthorized\",\"status\":401,"
                        + "\"detail\":\"the bearer token is not one of TOLLGATE_ADMIN_TOKENS\"}";
            } else if (uri.startsWith("/v1/usage") && uri.contains("consumer=hostile")) {
                status = 200;
                body = "{\"items\":[{\"consumer\":\"=cmd|' /C calc'!A0\",\"meter\":\"+1\\r\\n2\",\"start\":\"@now\",\"units\":\"-1+1\",\"amount\":\"-0.20\"}]}";
            } else if (uri.startsWith("/v1/usage") && !uri.contains("cursor=")) {
                status = 200;
                body = "{\"items\":[{\"consumer\":\"acme\",\"meter\":\"requests\",\"start\":\"2026-11-20T00:00:00Z\",\"units\":400,\"amount\":\"0.00\"}],"
                        + "\"next\":\"YWNtZQ\"}";
            } else if (uri.startsWith("/v1/usage")) {
                status = 200;
                body = "{\"items\":[{\"consumer\":\"acme\",\"meter\":\"requests\",\"start\":\"2026-11-21T00:00:00Z\",\"units\":1200,\"amount\":\"1.20\"}]}";
            } else if (uri.equals("/v1/consumers/acme/invoices/2026-11")) {
                status = 200;
                body = "{\"consumer\":\"acme\",\"period\":\"2026-11\",\"plan\":\"pro\",\"currency\":\"USD\",\"lines\":[{\"meter\":\"requests\","
                        + "\"units\":1600,\"included\":1000,\"billable\":600,\"unitPrice\":\"0.002\",\"per\":1,\"amount\":\"1.20\"}],\"total\":\"1.20\"}";
            } else {
                status = 404;
                type = "application/problem+json";
                body = "{\"title\":\"Not found\",\"status\":404,\"detail\":\"no consumer named ghost\"}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", type);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        billing.start();
    }

    @AfterEach
    void stopBilling() {
        billing.stop(0);
    }

    String url() {
        return "http://127.0.0.1:" + billing.getAddress().getPort();
    }

    int run(Object command, String... args) {
        if (command instanceof UsageCommand usage) {
            usage.out = new PrintStream(out, true, StandardCharsets.UTF_8);
            usage.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        } else if (command instanceof InvoiceCommand invoice) {
            invoice.out = new PrintStream(out, true, StandardCharsets.UTF_8);
            invoice.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        }
        return new CommandLine(command).execute(args);
    }

    @Test
    void usageFollowsEveryPageAndPrintsCsv() {
        int exit = run(new UsageCommand(), "--url", url(), "--token", "s3cret", "--consumer", "acme",
                "--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--csv");

        assertThat(exit).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("""
                consumer,meter,start,units,amount
                acme,requests,2026-11-20T00:00:00Z,400,0.00
                acme,requests,2026-11-21T00:00:00Z,1200,1.20
                """);
        assertThat(requests).containsExactly(
                "/v1/usage?granularity=day&limit=1000&consumer=acme&from=2026-11-01T00%3A00%3A00Z&to=2026-12-01T00%3A00%3A00Z",
                "/v1/usage?granularity=day&limit=1000&consumer=acme&from=2026-11-01T00%3A00%3A00Z&to=2026-12-01T00%3A00%3A00Z&cursor=YWNtZQ");
    }

    @Test
    void usageCsvNeutralisesFormulasAndKeepsNegativeAmountsNumeric() {
        int exit = run(new UsageCommand(), "--url", url(), "--token", "s3cret", "--consumer", "hostile", "--csv");

        assertThat(exit).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("consumer,meter,start,units,amount" + System.lineSeparator()
                + "'=cmd|' /C calc'!A0,\"'+1\r\n2\",'@now,'-1+1,-0.20" + System.lineSeparator());
    }

    @Test
    void invoicePrintsItsLinesAndTotal(@TempDir Path dataDir) throws IOException {
        Files.writeString(dataDir.resolve("admin-token"), "s3cret\n");

        int exit = run(new InvoiceCommand(), "--url", url(), "--data-dir", dataDir.toString(), "acme", "2026-11");

        assertThat(exit).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Invoice acme 2026-11  (plan pro, USD)")
                .containsPattern("requests +1600 +1000 +600 +0.002 +1 +1.20")
                .containsPattern("total +1.20");
    }

    @Test
    void aRefusedTokenOrUnknownConsumerExitsNonZeroWithTheProblem() {
        assertThat(run(new InvoiceCommand(), "--url", url(), "--token", "wrong", "acme", "2026-11")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
                "invoice: billing-service answered 401 — Unauthorized: the bearer token is not one of TOLLGATE_ADMIN_TOKENS" + System.lineSeparator());
        err.reset();
        assertThat(run(new InvoiceCommand(), "--url", url(), "--token", "s3cret", "ghost", "2026-11")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("404 — Not found: no consumer named ghost");
    }

    @Test
    void theTokenComesFromTheOptionThenTheEnvironmentThenTheDataDirectory(@TempDir Path dataDir) throws IOException {
        AdminConnection connection = new AdminConnection();
        connection.dataDir = dataDir;
        assertThatThrownBy(() -> connection.resolveToken(Map.of())).hasMessageStartingWith("no admin token: pass --token");
        Files.writeString(dataDir.resolve("admin-token"), "from-file\n");
        assertThat(connection.resolveToken(Map.of())).isEqualTo("from-file");
        assertThat(connection.resolveToken(Map.of("TOLLGATE_ADMIN_TOKEN", "from-env"))).isEqualTo("from-env");
        connection.token = "from-option";
        assertThat(connection.resolveToken(Map.of("TOLLGATE_ADMIN_TOKEN", "from-env"))).isEqualTo("from-option");
    }
}
