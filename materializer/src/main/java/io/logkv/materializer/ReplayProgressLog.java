package io.logkv.materializer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs how a node's replay goes while its replicas are far behind (after a wipe or a long stop):
 * {@code event=replay_progress} every few seconds, {@code event=replay_done} once caught up.
 */
final class ReplayProgressLog {

    private static final Logger log = LoggerFactory.getLogger(ReplayProgressLog.class);
    private static final long INTERVAL_MS = 5_000;

    private long startedMs = -1;
    private double appliedAtStart;
    private long lastReportMs;

    /**
     * @param behind     committed records not yet applied, over every replica
     * @param appliedNow records applied since the node started
     */
    void observe(long behind, double appliedNow, long now) {
        if (behind == 0) {
            if (startedMs >= 0) {
                log.info("event=replay_done records={} seconds={}", (long) (appliedNow - appliedAtStart),
                        String.format("%.1f", (now - startedMs) / 1000.0));
                startedMs = -1;
            }
            return;
        }
        if (startedMs < 0) {
            startedMs = now;
            appliedAtStart = appliedNow;
            lastReportMs = now;
        } else if (now - lastReportMs >= INTERVAL_MS) {
            double applied = appliedNow - appliedAtStart;
            double seconds = Math.max(0.001, (now - startedMs) / 1000.0);
            log.info("event=replay_progress applied={} remaining={} records_per_second={} done_percent={}",
                    (long) applied, behind, (long) (applied / seconds),
                    String.format("%.1f", 100.0 * applied / Math.max(1, applied + behind)));
            lastReportMs = now;
        }
    }
}
