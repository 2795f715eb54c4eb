package io.tollgate.streams;

import io.tollgate.schemas.topics.Topics;

/** The topics metering-streams reads and writes; the contract's names unless configured otherwise. */
public record TopicNames(String usageEvents, String billingAccounts, String balances, String usageHourly, String deadLetters) {
    public static TopicNames defaults() {
        return new TopicNames(Topics.USAGE_EVENTS.name(), Topics.BILLING_ACCOUNTS.name(), Topics.BILLING_BALANCES.name(),
                Topics.USAGE_HOURLY.name(), Topics.USAGE_EVENTS_DLQ.name());
    }

    /** All topics with a unique prefix (tests). */
    public static TopicNames prefixed(String prefix) {
        TopicNames d = defaults();
        return new TopicNames(prefix + d.usageEvents, prefix + d.billingAccounts, prefix + d.balances, prefix + d.usageHourly,
                prefix + d.deadLetters);
    }
}
