package io.tollgate.schemas.topics;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.Deserializer;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The one way Tollgate code opens a plain consumer on its topics. metering-streams and the raw-topic normalizer write
 * with exactly-once transactions, and a zombie or aborted transaction leaves records in the log that were never
 * committed: a reader that sees them would take an aborted {@code Balance} or {@code UsageAggregate} for a real one.
 * So every reader reads {@code read_committed}, whatever its configuration (or a {@code KAFKA_ISOLATION_LEVEL}
 * variable) says. Then {@code endOffsets} are last stable offsets, which is what "caught up" must mean.
 */
public final class TopicReaders {
    public static final String ISOLATION = IsolationLevel.READ_COMMITTED.toString().toLowerCase(Locale.ROOT);

    private TopicReaders() {
    }

    /** A copy of {@code config} that reads only committed records. */
    public static Map<String, Object> committed(Map<String, ?> config) {
        Map<String, Object> copy = new HashMap<>(config);
        copy.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, ISOLATION);
        return copy;
    }

    /** A consumer on {@code config} that reads only committed records. */
    public static <K, V> KafkaConsumer<K, V> consumer(Map<String, ?> config, Deserializer<K> keys, Deserializer<V> values) {
        return new KafkaConsumer<>(committed(config), keys, values);
    }
}
