package io.tollgate.deploy.finance;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./tollgate reconcile}: recomputes usage and charges from usage.events and billing.accounts and
 * compares them with usage.hourly and billing.balances. Exit 0: no difference; 1: differences (printed);
 * 2: the topics could not be read.
 */
@Command(name = "reconcile", mixinStandardHelpOptions = true,
        description = {"Recompute every consumer's usage and charges from usage.events and billing.accounts, compare them with",
                "usage.hourly and billing.balances, print the differences and exit 1 when there are any.",
                "Run it when traffic is quiet: streams publishes hourly totals and balances every flush interval."})
public final class ReconcileCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", description = "Kafka (default: $KAFKA_BOOTSTRAP_SERVERS, else 127.0.0.1:9092).")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", description = "Schema registry (default: $SCHEMA_REGISTRY_URL, else http://127.0.0.1:8081/apis/ccompat/v7).")
    String schemaRegistryUrl;

    @Option(names = "--dedup-window", defaultValue = "PT24H", description = "metering-streams' dedup window, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration dedupWindow;

    @Option(names = "--usage-events-topic", defaultValue = "usage.events")
    String usageEventsTopic;

    @Option(names = "--accounts-topic", defaultValue = "billing.accounts")
    String accountsTopic;

    @Option(names = "--usage-hourly-topic", defaultValue = "usage.hourly")
    String usageHourlyTopic;

    @Option(names = "--balances-topic", defaultValue = "billing.balances")
    String balancesTopic;

    @Option(names = "--timeout", defaultValue = "PT2M", description = "How long reading each topic to its end may take (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    PrintStream out = System.out;
    PrintStream err = System.err;

    @Override
    public Integer call() {
        Map<String, String> env = System.getenv();
        String bootstrap = firstOf(bootstrapServers, env.get("KAFKA_BOOTSTRAP_SERVERS"), "127.0.0.1:9092");
        String registry = firstOf(schemaRegistryUrl, env.get("SCHEMA_REGISTRY_URL"), "http://127.0.0.1:8081/apis/ccompat/v7");
        Map<String, Object> kafka = new HashMap<>();
        kafka.put("bootstrap.servers", bootstrap);
        try {
            TopicSnapshot<UsageEvent> events = TopicSnapshot.read(kafka, registry, usageEventsTopic, UsageEvent.class, timeout);
            TopicSnapshot<AccountEvent> accounts = TopicSnapshot.read(kafka, registry, accountsTopic, AccountEvent.class, timeout);
            TopicSnapshot<UsageAggregate> hourly = TopicSnapshot.read(kafka, registry, usageHourlyTopic, UsageAggregate.class, timeout);
            TopicSnapshot<Balance> balances = TopicSnapshot.read(kafka, registry, balancesTopic, Balance.class, timeout);
            return report(events, accounts, hourly, balances);
        } catch (AdminConnection.FinanceCliException e) {
            err.println("reconcile: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            err.println("reconcile: cannot read the topics from " + bootstrap + ": " + e.getMessage());
            return 2;
        }
    }

    int report(TopicSnapshot<UsageEvent> events, TopicSnapshot<AccountEvent> accounts, TopicSnapshot<UsageAggregate> hourly,
               TopicSnapshot<Balance> balances) {
        Reconciliation.Recomputed recomputed = Reconciliation.recompute(events.records(), accounts.records(), dedupWindow);
        List<Reconciliation.Difference> differences = Reconciliation.compare(recomputed, hourly.values(), balances.values());
        out.printf("%s: %d events read, %d counted, %d duplicates, %d too late, %d invalid, %d undecodable%n", usageEventsTopic,
                recomputed.eventsRead(), recomputed.eventsCounted(), recomputed.duplicates(), recomputed.tooLate(), recomputed.invalid(),
                events.undecodable());
        out.printf("%s: %d plans, %d consumers; %s: %d records; %s: %d records%n", accountsTopic, recomputed.plans().size(),
                recomputed.consumers().size(), usageHourlyTopic, hourly.records().size(), balancesTopic, balances.records().size());
        if (differences.isEmpty()) {
            out.printf("no differences: %d consumers reconcile%n", recomputed.consumersSeen().size());
            return 0;
        }
        differences.forEach(d -> out.println("DIFF " + d));
        out.printf("%d differences%n", differences.size());
        return 1;
    }

    private static String firstOf(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
