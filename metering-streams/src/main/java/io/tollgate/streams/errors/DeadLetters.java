package io.tollgate.streams.errors;

import io.tollgate.avro.DeadLetter;

import java.nio.ByteBuffer;
import java.time.Instant;

/** Dead letters of metering-streams, with the stages it writes. */
public final class DeadLetters {
    public static final String STAGE_DESERIALIZE = "streams-deserialize";
    public static final String STAGE_PROCESS = "streams-process";
    public static final String STAGE_TOO_LATE = "streams-too-late";
    public static final String STAGE_INVALID = "streams-invalid";

    private DeadLetters() {
    }

    public static DeadLetter of(String topic, Integer partition, Long offset, String stage, String reason,
                                byte[] key, byte[] value, long time) {
        return DeadLetter.newBuilder()
                .setTopic(topic)
                .setPartition(partition)
                .setOffset(offset)
                .setStage(stage)
                .setReason(reason == null ? "unknown" : reason)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setTime(Instant.ofEpochMilli(time))
                .build();
    }
}
