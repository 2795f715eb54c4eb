package io.tollgate.deploy.finance;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** {@code ./tollgate invoice ID PERIOD}: GET /v1/consumers/{id}/invoices/{period}, as a table or JSON. */
@Command(name = "invoice", mixinStandardHelpOptions = true,
        description = "A consumer's invoice for one billing period (2026-11, or 2026-11-21 for daily plans).")
public final class InvoiceCommand implements Callable<Integer> {
    @Mixin
    AdminConnection connection;

    @Parameters(index = "0", paramLabel = "CONSUMER")
    String consumer;

    @Parameters(index = "1", paramLabel = "PERIOD")
    String period;

    @Option(names = "--json", description = "Print billing-service's JSON as it is.")
    boolean json;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() {
        try {
            AdminConnection.Answer answer = connection.get("/v1/consumers/" + URLEncoder.encode(consumer, StandardCharsets.UTF_8)
                    + "/invoices/" + URLEncoder.encode(period, StandardCharsets.UTF_8), "application/json");
            if (json) {
                out.println(answer.body());
            } else {
                print(answer.json());
            }
            return 0;
        } catch (AdminConnection.FinanceCliException e) {
            err.println("invoice: " + e.getMessage());
            return 1;
        }
    }

    private void print(JsonNode invoice) {
        out.printf("Invoice %s %s  (plan %s, %s)%n", invoice.path("consumer").asText(), invoice.path("period").asText(),
                invoice.path("plan").asText(), invoice.path("currency").asText());
        String format = "%-16s %14s %12s %14s %12s %10s %14s%n";
        out.printf(format, "meter", "units", "included", "billable", "unit price", "per", "amount");
        for (JsonNode line : invoice.path("lines")) {
            out.printf(format, line.path("meter").asText(), line.path("units").asText(), line.path("included").asText(),
                    line.path("billable").asText(), line.path("unitPrice").asText(), line.path("per").asText(), line.path("amount").asText());
        }
        out.printf(format, "total", "", "", "", "", "", invoice.path("total").asText());
    }
}
