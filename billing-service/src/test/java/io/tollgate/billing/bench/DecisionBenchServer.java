package io.tollgate.billing.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tollgate.avro.Balance;
import io.tollgate.avro.MeterPrice;
import io.tollgate.billing.BillingServer;
import io.tollgate.billing.decision.DecisionEndpoints;
import io.tollgate.billing.decision.DecisionMetrics;
import io.tollgate.billing.decision.DecisionService;
import io.tollgate.billing.decision.Freshness;
import io.tollgate.billing.decision.InMemoryBalances;
import io.tollgate.runtime.OpsRoutes;
import io.tollgate.schemas.money.Periods;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The decision server of the wrk benchmark (billing-service/bench/decision-bench.sh): the real HTTP server, endpoints,
 * rules, local admissions and metrics, with a read model pre-filled with {@code consumers} funded consumers
 * {@code c0..c<n-1>} instead of a replica of billing.balances (no broker). Args: port, event loops, consumers.
 * Every call is past the included requests (0.002 each), so every allow prices and records an admission.
 */
public final class DecisionBenchServer {
    private DecisionBenchServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18090;
        int loops = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        int consumers = args.length > 2 ? Integer.parseInt(args[2]) : 10_000;
        long now = System.currentTimeMillis();
        Map<String, MeterPrice> meters = new HashMap<>();
        meters.put("requests", MeterPrice.newBuilder().setUnitPriceNanos(2_000_000).setPer(1).setIncluded(1000).setHardLimit(null).build());
        meters.put("input_tokens", MeterPrice.newBuilder().setUnitPriceNanos(500_000_000).setPer(1_000_000).setIncluded(0).setHardLimit(null).build());
        InMemoryBalances balances = new InMemoryBalances();
        for (int i = 0; i < consumers; i++) {
            Map<String, Long> usage = new HashMap<>();
            usage.put("requests", 5_000L);
            balances.put(Balance.newBuilder().setConsumer("c" + i).setPlan("pro").setStatus("active").setBilling("prepaid")
                    .setCurrency("USD").setPeriod(Periods.periodOf(Periods.MONTH, now)).setCreditsMicros(1_000_000_000_000L)
                    .setSpentMicros(8_000_000).setRemainingMicros(1_000_000_000_000L - 8_000_000).setSpendLimitMicros(null)
                    .setUsage(usage).setAmounts(Map.of()).setMeters(meters).setVersion(1).setLastEventTime(null)
                    .setUpdatedAt(Instant.ofEpochMilli(now)).build());
        }
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // No balance updates arrive in this benchmark; admissions expire after 1 s as if balances covered them by then,
        // instead of piling up for the default 5 minutes.
        DecisionService service = new DecisionService(balances, Freshness.ALWAYS_FRESH, new DecisionService.Settings(false, false, 1_000),
                System::currentTimeMillis);
        DecisionEndpoints endpoints = new DecisionEndpoints(service, new DecisionMetrics(metrics),
                List.of("X-Consumer-Id", "X-Consumer-Custom-Id", "X-Consumer-Username"), "", "");
        BillingServer server = BillingServer.start("127.0.0.1", port, loops, metrics, OpsRoutes.Readiness::yes, endpoints, r -> { });
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        System.out.println("decision bench server on 127.0.0.1:" + server.port() + " with " + loops + " event loops and "
                + consumers + " funded consumers");
        new CountDownLatch(1).await();
    }
}
