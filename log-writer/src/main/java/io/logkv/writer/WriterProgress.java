package io.logkv.writer;

/**
 * What a partition's writer knows of its partition between two transactions. Confined to the writer's
 * drain (one thread at a time).
 */
final class WriterProgress {

    /**
     * The end of the truth partition as far as this writer knows it: the end its last catch-up found, moved
     * past each of its own commits (their records and commit marker). Only this writer adds to the partition
     * while it owns it, so a larger end means another writer has (this one was deposed without knowing yet).
     * Set by every catch-up, before the writer writes.
     */
    long knownEnd;
    /** The ingest offset the next transaction starts from. */
    long nextIngestOffset;
    /**
     * The clients writing to this partition as the last batch's outcome saw them: its HTTP writes plus those that
     * waited meanwhile, counted before its answers went out. The next batch lingers for as many
     * ({@link WriteBatch#gather}).
     */
    int lingerTarget;
}
