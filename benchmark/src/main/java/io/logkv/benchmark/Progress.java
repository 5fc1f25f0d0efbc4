package io.logkv.benchmark;

/**
 * Prints how far a long step has got, at most every tenth of the way or every five seconds, so a run of
 * several minutes on a shared machine visibly moves.
 */
final class Progress {

    private static final long REPORT_INTERVAL_NANOS = 5_000_000_000L;

    private final String label;
    private final long total;
    private final long startedNanos = System.nanoTime();
    private long lastReportNanos = startedNanos;
    private int lastTenth;

    Progress(String label, long total) {
        this.label = label;
        this.total = total;
    }

    void update(long done) {
        long now = System.nanoTime();
        int tenth = (int) Math.min(10, done * 10 / Math.max(1, total));
        if (tenth > lastTenth || now - lastReportNanos >= REPORT_INTERVAL_NANOS) {
            lastTenth = Math.max(lastTenth, tenth);
            lastReportNanos = now;
            System.out.printf("  %s %d/%d… %d%% (%.1f s)%n", label, done, total, done * 100 / Math.max(1, total),
                    (now - startedNanos) / 1e9);
        }
    }
}
