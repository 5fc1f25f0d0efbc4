package io.logkv.benchmark;

/** Something clients write to: one call is one acknowledged (or failed) write. */
interface WriteTarget extends AutoCloseable {

    /** Writes one fresh key; returns when the write is acknowledged, throws when it failed. */
    void write(int client, long sequence) throws Exception;

    /** Mean writes per Kafka transaction since the last call, or NaN where there are no transactions. */
    default double takeRecordsPerTransaction() {
        return Double.NaN;
    }

    @Override
    void close();
}
