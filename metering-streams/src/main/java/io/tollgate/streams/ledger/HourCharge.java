package io.tollgate.streams.ledger;

/**
 * A change to the running totals of one consumer's meter in one hour of event time: the hour gains
 * {@code units} and {@code events}, and its charge changes by {@code amountMicros} (which may be negative
 * when a plan change lowers a period's charge).
 */
public record HourCharge(String meter, long hourStart, long units, long events, long amountMicros) {
}
