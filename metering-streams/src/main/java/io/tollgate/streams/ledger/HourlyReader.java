package io.tollgate.streams.ledger;

import io.tollgate.streams.state.HourTotals;

import java.util.NavigableMap;

/** Reads one consumer's hourly totals of one meter, by hour start, for hours in [fromHour, toHour]. */
@FunctionalInterface
public interface HourlyReader {
    NavigableMap<Long, HourTotals> hours(String meter, long fromHour, long toHour);
}
