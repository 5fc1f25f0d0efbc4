package io.logkv.writer;

/**
 * What a partition's writer knows of its partition between two transactions. Confined to the writer's
 * drain (one thread at a time).
 */
final class WriterProgress {

    /**
     * The end of the truth partition as far as this writer knows it: the end its last catch-up found, moved
     * past each of its own commits (their records and commit marker). Only this writer adds to the partition
     * while it owns it, so a larger end means another writer has (this one was deposed without knowing yet),
     * give or take {@link #lateMarkers}. Set by every catch-up, before the writer writes.
     */
    long knownEnd;
    /**
     * Commit markers of this writer that lie beyond {@link #knownEnd} once written: 1 when the previous transaction's
     * marker (under the other transactional id) was not yet in the log as the last transaction's records arrived and
     * cannot have landed among them (its records follow the previous transaction's last record without a gap), else 0.
     * A transaction's commit returns once the coordinator has decided it, before its markers are written, and with ids
     * taken in turns the next transaction does not wait for them; under one id it does, so no earlier marker can follow
     * a later transaction's records.
     */
    int lateMarkers;
    /** The offset of this writer's last committed record in the partition, -1 when none since the last catch-up. */
    private long lastRecord = -1;
    /** The ingest offset the next transaction starts from. */
    long nextIngestOffset;
    /**
     * The clients writing to this partition as the last batch's outcome saw them: its HTTP writes plus those that
     * waited meanwhile, counted before its answers went out. The next batch lingers for as many
     * ({@link WriteBatch#gather}).
     */
    int lingerTarget;

    /** After a catch-up: the partition ends at {@code end}, with every earlier writer's markers in it (they were fenced). */
    void caughtUpTo(long end) {
        knownEnd = end;
        lateMarkers = 0;
        lastRecord = -1;
    }

    /**
     * After a commit whose {@code records} records of this partition took the offsets {@code first} to {@code last}. The
     * previous marker is known to come after them only when they follow the previous transaction's last record and
     * each other without a gap; a marker that landed among them ends the log at {@link #knownEnd} exactly.
     */
    void committed(long first, long last, int records) {
        lateMarkers = lastRecord >= 0 && first == lastRecord + 1 && last - first + 1 == records ? 1 : 0;
        knownEnd = Math.max(knownEnd, last + 2);
        lastRecord = last;
    }

    /**
     * Whether a partition that ends at {@code end} holds nothing but what this writer knows of. The late marker's
     * slack cannot hide another writer: to write, it fenced this writer's ids, which writes this writer's markers
     * first, so the log then ends at least one past {@code knownEnd + lateMarkers} (the other writer's record, even
     * before its own marker is written).
     */
    boolean holdsOnlyKnown(long end) {
        return end <= knownEnd + lateMarkers;
    }
}
