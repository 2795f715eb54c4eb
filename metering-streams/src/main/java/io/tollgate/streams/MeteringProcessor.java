package io.tollgate.streams;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.Balance;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.PlanDefined;
import io.tollgate.avro.UsageAggregate;
import io.tollgate.avro.UsageEvent;
import io.tollgate.runtime.LogSafe;
import io.tollgate.schemas.money.Periods;
import io.tollgate.schemas.serde.AvroSerde;
import io.tollgate.streams.errors.DeadLetters;
import io.tollgate.streams.ledger.HourCharge;
import io.tollgate.streams.ledger.Ledgers;
import io.tollgate.streams.state.ConsumerLedger;
import io.tollgate.streams.state.HourTotals;
import io.tollgate.streams.state.HourUsage;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * Dedup, rating, balances and hourly totals of the consumers of one partition. The DSL cannot say it: one
 * event touches the dedup window, the consumer's ledger and its hours, and outputs are coalesced.
 *
 * <p>Outputs are not written per event: a changed consumer is marked in {@code pending-outputs} (a logged store,
 * so a mark committed with its state change survives a crash); one wall-clock punctuator publishes its balance
 * every flush interval and another its changed hours every hourly flush interval, each inside the same transaction
 * as the state it reads. The mark is deleted once both are published. Which hours changed is kept in memory only;
 * a consumer whose mark survived a restart has its balance and every hour of its open periods published again
 * (the latest record per key is the total, so a repeat is harmless).
 */
final class MeteringProcessor implements Processor<String, SpecificRecord, Object, Object> {
    private static final Logger log = LoggerFactory.getLogger(MeteringProcessor.class);
    private static final String CLOCK_KEY = "usage-stream-time";
    private static final char SEP = '\u0000';
    private static final int LEDGER_CACHE_SIZE = 10_000;

    private final MeteringTopology.Settings settings;
    private final AvroSerde<UsageEvent> usageSerde;
    private final long windowMs;
    /** Consumers whose balance changed since it was last published. */
    private final Set<String> pending = new LinkedHashSet<>();
    /** Per consumer, the hours (meter SEP hour start) changed since they were last published. */
    private final Map<String, Set<String>> changedHours = new LinkedHashMap<>();
    /** Consumers with a mark in {@code pending-outputs}: an output of theirs is not published yet. */
    private final Set<String> marked = new HashSet<>();
    /** Consumers marked when the task started: their balance and every open hour are published again. */
    private final Set<String> recovered = new HashSet<>();
    /**
     * Read-through copies of the plans store and the task's stream time. Only this processor writes those stores,
     * and a task whose transaction aborts is closed and initialized again, which clears them.
     */
    private final Map<String, PlanDefined> planCache = new HashMap<>();
    private Long streamTime;
    /** Read-through copies of recent ledgers (written through on every change; dropped when a record fails half-way). */
    private final Map<String, ConsumerLedger> ledgerCache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, ConsumerLedger> eldest) {
            return size() > LEDGER_CACHE_SIZE;
        }
    };

    private ProcessorContext<Object, Object> context;
    private WindowStore<String, Long> dedup;
    private KeyValueStore<String, Long> clock;
    private KeyValueStore<String, ConsumerLedger> ledgers;
    private WindowStore<String, HourUsage> hourly;
    private KeyValueStore<String, PlanDefined> plans;
    private KeyValueStore<String, Long> grants;
    private KeyValueStore<String, Long> pendingStore;
    private Sensor countedEvents;
    private Sensor duplicateEvents;
    private Sensor tooLateEvents;

    MeteringProcessor(MeteringTopology.Settings settings, AvroSerde<UsageEvent> usageSerde) {
        this.settings = settings;
        this.usageSerde = usageSerde;
        this.windowMs = settings.dedupWindow().toMillis();
    }

    @Override
    public void init(ProcessorContext<Object, Object> context) {
        this.context = context;
        dedup = context.getStateStore(MeteringTopology.DEDUP_STORE);
        clock = context.getStateStore(MeteringTopology.CLOCK_STORE);
        ledgers = context.getStateStore(MeteringTopology.LEDGER_STORE);
        hourly = context.getStateStore(MeteringTopology.HOURLY_STORE);
        plans = context.getStateStore(MeteringTopology.PLANS_STORE);
        grants = context.getStateStore(MeteringTopology.GRANTS_STORE);
        pendingStore = context.getStateStore(MeteringTopology.PENDING_STORE);
        close();
        String task = context.taskId().toString();
        countedEvents = context.metrics().addRateTotalSensor("tollgate", task, "counted-events", Sensor.RecordingLevel.INFO);
        duplicateEvents = context.metrics().addRateTotalSensor("tollgate", task, "duplicate-events", Sensor.RecordingLevel.INFO);
        tooLateEvents = context.metrics().addRateTotalSensor("tollgate", task, "too-late-events", Sensor.RecordingLevel.INFO);
        streamTime = clock.get(CLOCK_KEY);
        try (KeyValueIterator<String, Long> marks = pendingStore.all()) {
            marks.forEachRemaining(mark -> marked.add(mark.key));
        }
        pending.addAll(marked);
        recovered.addAll(marked);
        context.schedule(settings.flushInterval(), PunctuationType.WALL_CLOCK_TIME, now -> publishBalances());
        context.schedule(settings.hourlyFlushInterval(), PunctuationType.WALL_CLOCK_TIME, now -> publishHours());
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        try {
            if (record.value() instanceof UsageEvent event) {
                onUsage(record.key(), event);
            } else if (record.value() instanceof AccountEvent event) {
                onAccount(event);
            }
        } catch (RuntimeException e) {
            ledgerCache.clear();
            throw e;
        }
    }

    private void onUsage(String key, UsageEvent event) {
        long eventTime = event.getEventTime().toEpochMilli();
        for (Map.Entry<String, Long> meter : event.getMeters().entrySet()) {
            if (meter.getValue() == null || meter.getValue() < 0) {
                deadLetter(key, event, DeadLetters.STAGE_INVALID, "meter " + meter.getKey() + " has negative units");
                return;
            }
        }
        if (streamTime == null || eventTime > streamTime) {
            streamTime = eventTime;
            clock.put(CLOCK_KEY, eventTime);
        }
        if (eventTime < streamTime - windowMs) {
            tooLateEvents.record();
            deadLetter(key, event, DeadLetters.STAGE_TOO_LATE, "event time " + event.getEventTime() + " is older than stream time "
                    + Instant.ofEpochMilli(streamTime) + " minus the dedup window " + settings.dedupWindow());
            return;
        }
        String identity = event.getSource() + SEP + event.getId();
        try (WindowStoreIterator<Long> seen = dedup.fetch(identity, Math.max(0, eventTime - windowMs), eventTime + windowMs)) {
            if (seen.hasNext()) {
                duplicateEvents.record();
                return;
            }
        }
        String consumer = key != null ? key : event.getConsumer();
        ConsumerLedger ledger = ledgerOf(consumer);
        Ledgers.closePeriods(ledger, streamTime, windowMs);
        book(consumer, Ledgers.applyUsage(ledger, planOf(ledger), eventTime, event.getMeters()));
        changed(ledger, eventTime);
        // Marked as seen only once counted: an event that fails on the way goes to the DLQ unmarked.
        dedup.put(identity, eventTime, eventTime);
        countedEvents.record();
    }

    private void onAccount(AccountEvent event) {
        long time = event.getTime().toEpochMilli();
        Object payload = event.getPayload();
        if (payload instanceof PlanDefined plan) {
            onPlan(plan, time);
        } else if (payload instanceof ConsumerUpdated update) {
            ConsumerLedger ledger = ledgerOf(update.getConsumer());
            if (Ledgers.applyConsumerUpdated(ledger, update)) {
                rerate(ledger, time);
            } else {
                Ledgers.advancePeriod(ledger, time);
            }
            changed(ledger, time);
        } else if (payload instanceof CreditsGranted grant) {
            ConsumerLedger ledger = ledgerOf(grant.getConsumer());
            String grantKey = grant.getConsumer() + SEP + grant.getIdempotencyKey();
            if (grants.get(grantKey) != null) {
                mark(ledger.getConsumer());
                return;
            }
            grants.put(grantKey, grant.getAmountMicros());
            ledger.setGrantedMicros(Math.addExact(ledger.getGrantedMicros(), grant.getAmountMicros()));
            Ledgers.advancePeriod(ledger, time);
            changed(ledger, time);
        }
    }

    private void onPlan(PlanDefined plan, long time) {
        if (plan.equals(plans.get(plan.getPlan()))) {
            return;
        }
        plans.put(plan.getPlan(), plan);
        planCache.put(plan.getPlan(), plan);
        List<ConsumerLedger> affected = new ArrayList<>();
        try (KeyValueIterator<String, ConsumerLedger> all = ledgers.all()) {
            all.forEachRemaining(entry -> {
                if (plan.getPlan().equals(entry.value.getPlan())) {
                    affected.add(entry.value);
                }
            });
        }
        for (ConsumerLedger ledger : affected) {
            rerate(ledger, time);
            changed(ledger, time);
        }
    }

    private void rerate(ConsumerLedger ledger, long time) {
        String consumer = ledger.getConsumer();
        book(consumer, Ledgers.rerate(ledger, planOf(ledger), streamTime, windowMs, time,
                (meter, from, to) -> readHours(consumer, meter, from, to)));
    }

    private NavigableMap<Long, HourTotals> readHours(String consumer, String meter, long fromHour, long toHour) {
        NavigableMap<Long, HourTotals> hours = new TreeMap<>();
        try (WindowStoreIterator<HourUsage> it = hourly.fetch(consumer, Math.max(0, fromHour), toHour)) {
            while (it.hasNext()) {
                KeyValue<Long, HourUsage> hour = it.next();
                HourTotals totals = hour.value.getMeters().get(meter);
                if (totals != null) {
                    hours.put(hour.key, totals);
                }
            }
        }
        return hours;
    }

    /** Adds charges to the consumer's hours: one read and one write per hour touched. */
    private void book(String consumer, List<HourCharge> charges) {
        if (charges.isEmpty()) {
            return;
        }
        Map<Long, HourUsage> touched = new HashMap<>(4);
        Set<String> changed = changedHours.computeIfAbsent(consumer, c -> new HashSet<>());
        for (HourCharge charge : charges) {
            HourUsage usage = touched.computeIfAbsent(charge.hourStart(), hour -> {
                HourUsage stored = hourly.fetch(consumer, hour);
                return stored != null ? stored : new HourUsage(new HashMap<>());
            });
            HourTotals totals = usage.getMeters().computeIfAbsent(charge.meter(), m -> new HourTotals(0L, 0L, 0L));
            totals.setUnits(Math.addExact(totals.getUnits(), charge.units()));
            totals.setEvents(totals.getEvents() + charge.events());
            totals.setAmountMicros(Math.addExact(totals.getAmountMicros(), charge.amountMicros()));
            changed.add(charge.meter() + SEP + charge.hourStart());
        }
        touched.forEach((hour, usage) -> hourly.put(consumer, usage, hour));
        mark(consumer);
    }

    private ConsumerLedger ledgerOf(String consumer) {
        ConsumerLedger ledger = storedLedger(consumer);
        return ledger != null ? ledger : Ledgers.newLedger(consumer, context.currentSystemTimeMs());
    }

    private ConsumerLedger storedLedger(String consumer) {
        ConsumerLedger ledger = ledgerCache.get(consumer);
        if (ledger == null) {
            ledger = ledgers.get(consumer);
            if (ledger != null) {
                ledgerCache.put(consumer, ledger);
            }
        }
        return ledger;
    }

    private PlanDefined planOf(ConsumerLedger ledger) {
        if (ledger.getPlan() == null) {
            return null;
        }
        PlanDefined plan = planCache.get(ledger.getPlan());
        if (plan == null) {
            plan = plans.get(ledger.getPlan());
            if (plan != null) {
                planCache.put(ledger.getPlan(), plan);
            }
        }
        return plan;
    }

    private void changed(ConsumerLedger ledger, long eventTime) {
        ledger.setVersion(ledger.getVersion() + 1);
        ledger.setLastEventTime(eventTime);
        ledger.setUpdatedAt(context.currentSystemTimeMs());
        ledgers.put(ledger.getConsumer(), ledger);
        ledgerCache.put(ledger.getConsumer(), ledger);
        mark(ledger.getConsumer());
    }

    private void mark(String consumer) {
        pending.add(consumer);
        if (marked.add(consumer)) {
            pendingStore.put(consumer, context.currentSystemTimeMs());
        }
    }

    private void publishBalances() {
        if (pending.isEmpty()) {
            return;
        }
        List<String> published = new ArrayList<>(pending);
        pending.clear();
        for (String consumer : published) {
            ConsumerLedger ledger = storedLedger(consumer);
            if (ledger != null) {
                publishBalance(ledger);
            }
            unmarkIfPublished(consumer);
        }
    }

    private void publishHours() {
        if (changedHours.isEmpty() && recovered.isEmpty()) {
            return;
        }
        long now = context.currentSystemTimeMs();
        Set<String> published = new LinkedHashSet<>(recovered);
        published.addAll(changedHours.keySet());
        for (String consumer : published) {
            ConsumerLedger ledger = storedLedger(consumer);
            Set<String> hours = changedHours.get(consumer);
            if (ledger == null) {
                continue;
            }
            if (recovered.contains(consumer)) {
                publishOpenHours(ledger, now);
            } else if (hours != null) {
                for (String hour : hours) {
                    int sep = hour.lastIndexOf(SEP);
                    long hourStart = Long.parseLong(hour.substring(sep + 1));
                    HourUsage usage = hourly.fetch(consumer, hourStart);
                    String meter = hour.substring(0, sep);
                    if (usage != null && usage.getMeters().containsKey(meter)) {
                        publishHour(ledger, meter, hourStart, usage.getMeters().get(meter), now);
                    }
                }
            }
        }
        changedHours.clear();
        recovered.clear();
        for (String consumer : published) {
            unmarkIfPublished(consumer);
        }
    }

    /** Deletes the consumer's mark once its balance and its hours are all published. */
    private void unmarkIfPublished(String consumer) {
        if (!pending.contains(consumer) && !changedHours.containsKey(consumer) && !recovered.contains(consumer)
                && marked.remove(consumer)) {
            pendingStore.delete(consumer);
        }
    }

    private void publishOpenHours(ConsumerLedger ledger, long now) {
        if (streamTime == null) {
            return;
        }
        long from = Periods.startOf(ledger.getPeriodKind(), streamTime - windowMs);
        try (WindowStoreIterator<HourUsage> it = hourly.fetch(ledger.getConsumer(), Math.max(0, from), Periods.hourStart(streamTime))) {
            while (it.hasNext()) {
                KeyValue<Long, HourUsage> hour = it.next();
                hour.value.getMeters().forEach((meter, totals) -> publishHour(ledger, meter, hour.key, totals, now));
            }
        }
    }

    private void publishBalance(ConsumerLedger ledger) {
        Balance balance = Ledgers.toBalance(ledger, planOf(ledger));
        context.forward(new Record<>(ledger.getConsumer(), balance, ledger.getUpdatedAt()), MeteringTopology.BALANCES_SINK);
    }

    private void publishHour(ConsumerLedger ledger, String meter, long hourStart, HourTotals totals, long now) {
        String consumer = ledger.getConsumer();
        PlanDefined plan = planOf(ledger);
        UsageAggregate aggregate = UsageAggregate.newBuilder()
                .setConsumer(consumer)
                .setMeter(meter)
                .setHourStart(Instant.ofEpochMilli(hourStart))
                .setUnits(totals.getUnits())
                .setEvents(totals.getEvents())
                .setAmountMicros(totals.getAmountMicros())
                .setCurrency(plan == null ? null : plan.getCurrency())
                .setUpdatedAt(Instant.ofEpochMilli(now))
                .build();
        context.forward(new Record<>(consumer, aggregate, now), MeteringTopology.HOURLY_SINK);
    }

    @Override
    public void close() {
        planCache.clear();
        ledgerCache.clear();
        pending.clear();
        changedHours.clear();
        marked.clear();
        recovered.clear();
        streamTime = null;
    }

    private void deadLetter(String key, UsageEvent event, String stage, String reason) {
        RecordMetadata source = context.recordMetadata().orElse(null);
        String topic = source == null ? settings.topics().usageEvents() : source.topic();
        byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        DeadLetter letter = DeadLetters.of(topic, source == null ? null : source.partition(), source == null ? null : source.offset(),
                stage, reason, keyBytes, usageSerde.serialize(topic, event), context.currentSystemTimeMs());
        log.debug("dead letter {}: {}", stage, LogSafe.quote(reason));
        context.forward(new Record<>(keyBytes, letter, event.getEventTime().toEpochMilli()), MeteringTopology.DEAD_LETTER_SINK);
    }
}
