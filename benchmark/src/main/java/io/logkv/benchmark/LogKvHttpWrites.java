package io.logkv.benchmark;

import java.time.Duration;

/**
 * LogKV's whole write path: HTTP PUT of a fresh key to a node, acknowledged once its transaction (with
 * fencing offsets) committed. Conditional writes carry {@code If-None-Match: *}, which the owner checks
 * against its recent writes and replica before the write joins a transaction.
 */
final class LogKvHttpWrites implements WriteTarget {

    private static final Duration FIRST_WRITE_TIMEOUT = Duration.ofMinutes(2);

    private final HttpKeys keys;
    private final WriterMetrics metrics;
    private final String namespace;
    private final byte[] value;
    private final String runId;
    private final boolean onlyIfAbsent;
    private final java.util.concurrent.atomic.AtomicLong writes;

    LogKvHttpWrites(HttpKeys keys, String namespace, byte[] value, String runId, boolean onlyIfAbsent) {
        this.keys = keys;
        this.namespace = namespace;
        this.value = value;
        this.runId = runId;
        this.writes = new java.util.concurrent.atomic.AtomicLong();
        this.onlyIfAbsent = onlyIfAbsent;
        awaitWritable();
        this.metrics = new WriterMetrics(keys);
    }

    @Override
    public void write(int client, long sequence) throws Exception {
        // A key is never written twice: the warm-up and the timed phase restart their sequence numbers, and a
        // repeated key would make put-if-absent answer 412 for the wrong reason.
        keys.put(namespace, runId + "-" + client + "-" + sequence + "-" + writes.incrementAndGet(), value, onlyIfAbsent);
    }

    @Override
    public double takeRecordsPerTransaction() {
        return metrics.take();
    }

    /** A new node accepts writes only once the writers' group gave it its partitions and it caught up. */
    private void awaitWritable() {
        long deadline = System.nanoTime() + FIRST_WRITE_TIMEOUT.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                keys.put(namespace, runId + "-first-" + attempt, value, onlyIfAbsent);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the node accepted no write in " + FIRST_WRITE_TIMEOUT, e);
                }
                Pause.millis(200);
            }
        }
    }

    @Override
    public void close() {
        // the node outlives its cases
    }
}
