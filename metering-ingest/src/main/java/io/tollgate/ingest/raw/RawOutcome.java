package io.tollgate.ingest.raw;

import io.tollgate.avro.DeadLetter;
import io.tollgate.avro.UsageEvent;

/** What the normalizer forwards for a raw record: usage events, or one dead letter. */
sealed interface RawOutcome {
    record Usage(UsageEvent event) implements RawOutcome {
    }

    record Dead(DeadLetter letter) implements RawOutcome {
    }
}
