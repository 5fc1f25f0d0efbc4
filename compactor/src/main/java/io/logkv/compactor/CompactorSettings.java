package io.logkv.compactor;

import java.time.Duration;

/**
 * How the compactor runs on a node.
 *
 * @param expiryEnabled     whether expired keys get tombstones on this node (its owned partitions)
 * @param scanInterval      time between two passes over the expiry indexes
 * @param expiriesPerSecond expiry tombstones written per second at most (the pass's budget is this times the interval)
 * @param writeTimeout      how long a pass waits for its tombstones to be committed and applied
 */
public record CompactorSettings(boolean expiryEnabled, Duration scanInterval, int expiriesPerSecond, Duration writeTimeout) {

    public CompactorSettings {
        if (scanInterval.isNegative() || scanInterval.isZero() || expiriesPerSecond < 1 || writeTimeout.isNegative()
                || writeTimeout.isZero()) {
            throw new IllegalArgumentException("logkv.compactor: scan-interval and write-timeout must be positive, "
                    + "expiries-per-second at least 1");
        }
    }

    /** Tombstones one pass may write. */
    int budgetPerPass() {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, expiriesPerSecond * scanInterval.toMillis() / 1000));
    }
}
