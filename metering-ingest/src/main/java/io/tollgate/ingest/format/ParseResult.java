package io.tollgate.ingest.format;

import io.tollgate.avro.UsageEvent;

/**
 * What one element of an ingest body (or of a raw-topic record) became. {@code index} is the element's
 * position in its batch: the array index, or the line number (from 0) of newline-delimited input.
 */
public sealed interface ParseResult {
    int index();

    /** A billable call, normalized. */
    record Parsed(int index, UsageEvent event) implements ParseResult {
    }

    /** A well-formed record that is not billed (a response the gateway made itself, an anonymous call). */
    record Skipped(int index, String reason) implements ParseResult {
    }

    /** One problem with one field of one element; an element may have several. */
    record Invalid(int index, String field, String reason) implements ParseResult {
    }
}
