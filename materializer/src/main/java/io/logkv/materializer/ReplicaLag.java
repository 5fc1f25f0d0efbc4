package io.logkv.materializer;

/**
 * How far behind the log's committed end a replica is, as the applier's fetches tell, and whether its store
 * loads in bulk meanwhile (far behind: a rebuild, a long stop). Written by the applier's threads, one at a
 * time (commands on the polling thread run while the applying thread waits).
 */
final class ReplicaLag {

    /** Committed records not yet applied; -1 until the first fetch tells. */
    private volatile long records = -1;
    private volatile long caughtUpAtMs;
    private volatile int bulkLoadsEntered;
    private volatile boolean bulkLoading;
    /** Since when a store loading in bulk has been no longer far behind, yet not caught up; 0 otherwise. */
    private long nearSinceMs;

    long records() {
        return records;
    }

    /** How long since the replica was last caught up: 0 when it is, -1 while unknown. */
    long millis(long nowMs) {
        long lag = records;
        if (lag == 0) {
            return 0;
        }
        return caughtUpAtMs == 0 ? -1 : Math.max(0, nowMs - caughtUpAtMs);
    }

    int bulkLoadsEntered() {
        return bulkLoadsEntered;
    }

    /** Whether the store loads in bulk now. */
    boolean bulkLoading() {
        return bulkLoading;
    }

    /** Notes the lag a fetch reported; returns whether the replica is caught up. */
    boolean observe(long lagRecords, long nowMs) {
        records = lagRecords;
        if (lagRecords == 0) {
            caughtUpAtMs = nowMs;
            return true;
        }
        return false;
    }

    /**
     * Switches {@code store} into bulk loading when the replica is more than
     * {@link PartitionReplica#BULK_LOAD_LAG_RECORDS} behind, and out of it when it has caught up to within
     * {@link PartitionReplica#BULK_LOAD_EXIT_LAG_RECORDS}, or when it has stayed between the two for
     * {@link PartitionReplica#BULK_LOAD_MAX_NEAR_MS}: a replica that keeps a steady lag under load is not
     * replaying, and its store must not go without compactions (only while the store is {@code open}).
     *
     * @param nowMs when the lag was observed
     */
    void adjustBulkLoad(PartitionStore store, boolean open, long nowMs) {
        adjustBulkLoad(store, open, nowMs, () -> { });
    }

    /**
     * The same, running {@code beforeLeaving} just before the store leaves bulk loading: while its level-0
     * triggers are still raised, so that what it does to the store is not held back by the files the load made.
     */
    void adjustBulkLoad(PartitionStore store, boolean open, long nowMs, Runnable beforeLeaving) {
        boolean farBehind;
        if (!bulkLoading) {
            farBehind = records > PartitionReplica.BULK_LOAD_LAG_RECORDS;
        } else if (records > PartitionReplica.BULK_LOAD_LAG_RECORDS) {
            nearSinceMs = 0;
            farBehind = true;
        } else if (records > PartitionReplica.BULK_LOAD_EXIT_LAG_RECORDS) {
            if (nearSinceMs == 0) {
                nearSinceMs = nowMs;
            }
            farBehind = nowMs - nearSinceMs < PartitionReplica.BULK_LOAD_MAX_NEAR_MS;
        } else {
            farBehind = false;
        }
        if (farBehind != bulkLoading && open) {
            if (!farBehind) {
                beforeLeaving.run();
            }
            store.bulkLoad(farBehind);
            bulkLoading = farBehind;
            nearSinceMs = 0;
            if (farBehind) {
                bulkLoadsEntered++;
            }
        }
    }
}
