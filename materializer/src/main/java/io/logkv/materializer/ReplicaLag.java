package io.logkv.materializer;

/**
 * How far behind the log's committed end a replica is, as the applier's fetches tell, and whether its store
 * loads in bulk meanwhile (far behind: a rebuild, a long stop). Written by the applying thread only.
 */
final class ReplicaLag {

    /** Committed records not yet applied; -1 until the first fetch tells. */
    private volatile long records = -1;
    private volatile long caughtUpAtMs;
    private volatile int bulkLoadsEntered;
    private boolean bulkLoading;

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
     * {@link PartitionReplica#BULK_LOAD_EXIT_LAG_RECORDS} (only while the store is {@code open}).
     */
    void adjustBulkLoad(PartitionStore store, boolean open) {
        boolean farBehind = bulkLoading
                ? records > PartitionReplica.BULK_LOAD_EXIT_LAG_RECORDS
                : records > PartitionReplica.BULK_LOAD_LAG_RECORDS;
        if (farBehind != bulkLoading && open) {
            store.bulkLoad(farBehind);
            bulkLoading = farBehind;
            if (farBehind) {
                bulkLoadsEntered++;
            }
        }
    }
}
