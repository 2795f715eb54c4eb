package io.tollgate.deploy.finance;

import com.fasterxml.jackson.databind.JsonNode;
import io.tollgate.schemas.csv.CsvCells;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ./tollgate usage}: GET /v1/usage, every page, as a table or CSV. */
@Command(name = "usage", mixinStandardHelpOptions = true,
        description = "Usage per consumer, meter and hour/day/month from billing-service (every page of GET /v1/usage).")
public final class UsageCommand implements Callable<Integer> {
    @Mixin
    AdminConnection connection;

    @Option(names = "--consumer", description = "One consumer (default: all).")
    String consumer;

    @Option(names = "--from", description = "RFC 3339 start, inclusive (default: start of this UTC month).")
    String from;

    @Option(names = "--to", description = "RFC 3339 end, exclusive (default: now).")
    String to;

    @Option(names = "--granularity", defaultValue = "day", description = "hour, day or month (default: ${DEFAULT-VALUE}).")
    String granularity;

    @Option(names = "--csv", description = "Print CSV (consumer,meter,start,units,amount) instead of a table.")
    boolean csv;

    @Option(names = "--page-size", defaultValue = "1000", description = "Items per request (default: ${DEFAULT-VALUE}).")
    int pageSize;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() {
        try {
            List<String[]> rows = new ArrayList<>();
            String cursor = null;
            do {
                JsonNode page = connection.get(query(cursor), "application/json").json();
                for (JsonNode item : page.path("items")) {
                    rows.add(new String[] {item.path("consumer").asText(), item.path("meter").asText(), item.path("start").asText(),
                            item.path("units").asText(), item.path("amount").asText()});
                }
                cursor = page.hasNonNull("next") ? page.get("next").asText() : null;
            } while (cursor != null);
            print(rows);
            return 0;
        } catch (AdminConnection.FinanceCliException e) {
            err.println("usage: " + e.getMessage());
            return 1;
        }
    }

    String query(String cursor) {
        StringBuilder q = new StringBuilder("/v1/usage?granularity=").append(enc(granularity)).append("&limit=").append(pageSize);
        if (consumer != null) {
            q.append("&consumer=").append(enc(consumer));
        }
        if (from != null) {
            q.append("&from=").append(enc(from));
        }
        if (to != null) {
            q.append("&to=").append(enc(to));
        }
        if (cursor != null) {
            q.append("&cursor=").append(enc(cursor));
        }
        return q.toString();
    }

    private void print(List<String[]> rows) {
        String[] header = {"consumer", "meter", "start", "units", "amount"};
        if (csv) {
            out.println(String.join(",", header));
            // Every cell came over the network: text is neutralised, and units and amount stay bare only as plain numbers.
            for (String[] row : rows) {
                out.println(CsvCells.row(CsvCells.text(row[0]), CsvCells.text(row[1]), CsvCells.text(row[2]),
                        CsvCells.number(row[3]), CsvCells.number(row[4])));
            }
            return;
        }
        int[] widths = new int[header.length];
        for (int i = 0; i < header.length; i++) {
            widths[i] = header[i].length();
            for (String[] row : rows) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        String format = "%-" + widths[0] + "s  %-" + widths[1] + "s  %-" + widths[2] + "s  %" + widths[3] + "s  %" + widths[4] + "s%n";
        out.printf(format, (Object[]) header);
        for (String[] row : rows) {
            out.printf(format, (Object[]) row);
        }
        if (rows.isEmpty()) {
            out.println("(no usage in this range)");
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
