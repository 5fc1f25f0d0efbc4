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
     * Commit markers of this writer that may lie beyond {@link #knownEnd}: 1 when the previous transaction, under the
     * other transactional id, was still placing its marker as the last one's records arrived (its last record is
     * right before the last transaction's first), else 0. A transaction's commit returns once the coordinator has
     * decided it, before its markers are written, and with ids taken in turns the next transaction does not wait
     * for them; under one id it does, so no earlier marker can follow a later transaction's records.
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

    /** After a commit whose records of this partition took the offsets {@code first} to {@code last}. */
    void committed(long first, long last) {
        lateMarkers = lastRecord >= 0 && first == lastRecord + 1 ? 1 : 0;
        knownEnd = Math.max(knownEnd, last + 2);
        lastRecord = last;
    }

    /**
     * Whether a partition that ends at {@code end} holds nothing but what this writer knows of. The late marker's
     * slack cannot hide another writer: to write, it fenced this writer's ids, which completes this writer's
     * markers first, and then added at least a record and its own marker, two offsets past them.
     */
    boolean holdsOnlyKnown(long end) {
        return end <= knownEnd + lateMarkers;
    }
}
