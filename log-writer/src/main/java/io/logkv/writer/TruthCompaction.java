package io.logkv.writer;

import java.time.Duration;

/**
 * How Kafka's log cleaner treats a truth topic: when deleted and expired keys leave the log for good.
 *
 * @param tombstoneRetention {@code delete.retention.ms}: how long a tombstone stays after its segment is
 *                           cleaned. A replica resuming from a position older than this could miss a tombstone
 *                           and keep a deleted key, so it must exceed the replicas' maximum resume age.
 * @param segmentAge         {@code segment.ms}: a segment is closed (and becomes cleanable) this long after its
 *                           first record at the latest, so a tombstone reclaims its key within about this long
 *                           plus the tombstone retention, also in partitions that are written slowly
 * @param minCompactionLag   {@code min.compaction.lag.ms}: how long a value stays in the log before the cleaner
 *                           may drop it for a newer one (0: at once; a reader only ever needs each key's latest)
 */
public record TruthCompaction(Duration tombstoneRetention, Duration segmentAge, Duration minCompactionLag) {

    /** The settings LogKV creates truth topics with unless configured otherwise. */
    public static final TruthCompaction DEFAULT = new TruthCompaction(Duration.ofHours(24), Duration.ofHours(6), Duration.ZERO);

    public TruthCompaction {
        if (tombstoneRetention.isNegative() || segmentAge.isNegative() || segmentAge.isZero() || minCompactionLag.isNegative()) {
            throw new IllegalArgumentException("truth topic compaction settings must not be negative, and segments must have an age");
        }
    }
}
