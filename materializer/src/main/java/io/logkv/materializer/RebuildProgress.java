package io.logkv.materializer;

import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import java.time.Instant;

/**
 * How far the rebuild of one replica has come: the replica was wiped and is replaying its partition from
 * the start of the log up to the end the log had when the rebuild began. Written by the applying thread,
 * read from anywhere.
 */
public final class RebuildProgress {

    private final NamespaceName namespace;
    private final int partition;
    private final long targetPosition;
    private final NodeTime time;
    private final long startedAtMs;
    private final long startedNanos;
    private volatile long appliedPosition;
    private volatile long records;
    private volatile long bytes;
    private volatile long finishedNanos = -1;
    private volatile String failure;
    long lastReportNanos;

    /** @param time the clock the rebuild is timed by: its start, how long it ran, its rates */
    RebuildProgress(NamespaceName namespace, int partition, long targetPosition, NodeTime time) {
        this.namespace = namespace;
        this.partition = partition;
        this.targetPosition = targetPosition;
        this.time = time;
        this.startedAtMs = time.nowMs();
        this.startedNanos = time.nanoTime();
        this.lastReportNanos = startedNanos;
        if (targetPosition <= 0) {
            finishedNanos = startedNanos;
        }
    }

    void applied(long position, int recordCount, long byteCount) {
        appliedPosition = position;
        records += recordCount;
        bytes += byteCount;
        if (position >= targetPosition && finishedNanos < 0) {
            finishedNanos = time.nanoTime();
        }
    }

    void advancedTo(long position) {
        appliedPosition = Math.max(appliedPosition, position);
        if (appliedPosition >= targetPosition && finishedNanos < 0) {
            finishedNanos = time.nanoTime();
        }
    }

    void failed(String reason) {
        failure = reason;
        if (finishedNanos < 0) {
            finishedNanos = time.nanoTime();
        }
    }

    public boolean finished() {
        return finishedNanos >= 0;
    }

    public NamespaceName namespace() {
        return namespace;
    }

    public int partition() {
        return partition;
    }

    /** The progress at this moment. */
    public Status status() {
        long end = finishedNanos >= 0 ? finishedNanos : time.nanoTime();
        double seconds = Math.max(1e-3, (end - startedNanos) / 1e9);
        String state = failure != null ? "failed" : finishedNanos >= 0 ? "done" : "replaying";
        double percent = targetPosition <= 0 ? 100.0 : Math.min(100.0, 100.0 * appliedPosition / targetPosition);
        return new Status(namespace.value(), partition, state, failure, Instant.ofEpochMilli(startedAtMs).toString(),
                Math.round(seconds * 1000), targetPosition, appliedPosition, Math.round(percent * 10) / 10.0,
                records, bytes, Math.round(records / seconds), Math.round(bytes / seconds / 1e4) / 100.0);
    }

    /**
     * The progress of a rebuild, as the admin endpoint and the command line show it.
     *
     * @param namespace         the namespace
     * @param partition         the partition
     * @param state             {@code replaying}, {@code done} or {@code failed}
     * @param failure           why it failed, or null
     * @param startedAt         when it began (RFC 3339)
     * @param elapsedMs         how long it ran (so far)
     * @param targetPosition    the log's end when the rebuild began: the replay is done once applied
     * @param appliedPosition   the position applied so far
     * @param percentDone       appliedPosition as a share of targetPosition
     * @param records           records applied
     * @param bytes             bytes of keys and values applied
     * @param recordsPerSecond  records applied per second of the rebuild
     * @param megabytesPerSecond MB (10^6 bytes) applied per second of the rebuild
     */
    public record Status(String namespace, int partition, String state, String failure, String startedAt, long elapsedMs,
                         long targetPosition, long appliedPosition, double percentDone, long records, long bytes,
                         long recordsPerSecond, double megabytesPerSecond) {
    }
}
