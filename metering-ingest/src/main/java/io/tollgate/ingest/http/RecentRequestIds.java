package io.tollgate.ingest.http;

import java.util.LinkedHashMap;
import java.util.Map;

/** The ids of the last deliveries answered 200, so that a retried delivery is acknowledged without publishing again. */
final class RecentRequestIds {
    private final Map<String, Boolean> ids;

    RecentRequestIds(int capacity) {
        this.ids = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized boolean contains(String id) {
        return id != null && ids.containsKey(id);
    }

    synchronized void add(String id) {
        if (id != null) {
            ids.put(id, Boolean.TRUE);
        }
    }
}
