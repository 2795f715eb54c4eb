package io.tollgate.deploy.crash;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * How hard the crash test pushes: how many distinct calls, and which faults it injects while they flow, in order.
 * The default fits CI; {@code -Dtollgate.crash.events=40000 -Dtollgate.crash.streamKills=4} is the full run.
 *
 * @param events         distinct calls; {@link CrashTraffic#DUPLICATE_PERCENT} percent of them are delivered twice on purpose
 * @param streamKills    SIGKILLs of metering-streams, each followed by a restart on the same state directory
 * @param ingestKills    SIGKILLs of metering-ingest while gateways keep sending
 * @param brokerRestarts clean stops and starts of the Kafka broker on the same port and data
 */
record CrashPlan(int events, int streamKills, int ingestKills, int brokerRestarts, long seed) {
    static final int DEFAULT_EVENTS = 6_000;
    static final int DEFAULT_STREAM_KILLS = 2;

    enum Fault { KILL_STREAMS, KILL_INGEST, RESTART_BROKER }

    CrashPlan {
        if (events < 100 || streamKills < 0 || ingestKills < 0 || brokerRestarts < 0) {
            throw new IllegalArgumentException("at least 100 events and no negative fault counts: " + events + " events, "
                    + streamKills + " streams kills, " + ingestKills + " ingest kills, " + brokerRestarts + " broker restarts");
        }
    }

    static CrashPlan fromSystemProperties() {
        return new CrashPlan(Integer.getInteger("tollgate.crash.events", DEFAULT_EVENTS),
                Integer.getInteger("tollgate.crash.streamKills", DEFAULT_STREAM_KILLS),
                Integer.getInteger("tollgate.crash.ingestKills", 1),
                Integer.getInteger("tollgate.crash.brokerRestarts", 1),
                Long.getLong("tollgate.crash.seed", 20261121L));
    }

    /**
     * The faults in the order they strike: streams first, then ingest and the broker between streams kills, so that
     * streams is also killed while it catches up on what piled up during the other outages (S, I, S, B, S, S, ...).
     */
    List<Fault> faults() {
        List<Fault> faults = new ArrayList<>(Collections.nCopies(streamKills, Fault.KILL_STREAMS));
        int at = Math.min(1, faults.size());
        for (int i = 0; i < ingestKills; i++) {
            faults.add(Math.min(at, faults.size()), Fault.KILL_INGEST);
            at += 2;
        }
        at = Math.min(3, faults.size());
        for (int i = 0; i < brokerRestarts; i++) {
            faults.add(Math.min(at, faults.size()), Fault.RESTART_BROKER);
            at += 2;
        }
        return List.copyOf(faults);
    }
}
