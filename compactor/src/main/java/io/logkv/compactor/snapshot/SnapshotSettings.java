package io.logkv.compactor.snapshot;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a node takes and uses snapshots.
 *
 * @param interval      time between two rounds of snapshots of the partitions the node owns (zero: none taken
 *                      on a schedule; they can still be taken through the admin API and used)
 * @param retain        snapshots kept per partition
 * @param maxAge        the oldest snapshot that may seed a replica: the replicas' maximum resume age
 * @param workDirectory where checkpoints are assembled before they are stored (on the replicas' file system,
 *                      so that checkpoints are hard links)
 * @param reseedBehindRecords a store that could resume is replaced by a snapshot at least this many records
 *                      ahead of it (0: stores always resume and replay their tail)
 */
public record SnapshotSettings(Duration interval, int retain, Duration maxAge, Path workDirectory, long reseedBehindRecords) {

    public SnapshotSettings {
        if (interval.isNegative() || retain < 1 || maxAge.isNegative() || maxAge.isZero() || reseedBehindRecords < 0) {
            throw new IllegalArgumentException("logkv.snapshots: interval and reseed-behind-records must not be negative, retain"
                    + " must be at least 1, and the maximum age positive");
        }
    }
}
