package io.logkv.writer;

import io.logkv.core.NamespaceName;
import io.logkv.core.WriteCondition;
import java.util.concurrent.CompletableFuture;

/**
 * The write path's entry point on a node: puts and deletes go to this node's {@link PartitionOwner}, which
 * writes them when it owns the key's partition and answers {@link NotOwnerException} otherwise (the
 * caller then forwards to the owner, found through {@link OwnerDirectory}).
 */
public final class LogWriter {

    private final PartitionOwner owner;

    public LogWriter(PartitionOwner owner) {
        this.owner = owner;
    }

    /**
     * Writes a value; completes once the write is committed to the log.
     *
     * @param deadlineNanos the {@link System#nanoTime()} after which the caller no longer waits: a write
     *                      not yet sent by then is refused, never sent
     */
    public CompletableFuture<WriteOutcome> put(NamespaceName namespace, int partitions, byte[] key, String contentType,
                                               byte[] value, long expiresAtMs, WriteCondition condition, String idempotencyKey,
                                               long deadlineNanos) {
        return owner.submit(new WriteRequest(namespace, partitions, key, value, contentType, expiresAtMs, condition, idempotencyKey),
                deadlineNanos);
    }

    /** Deletes a key by writing a tombstone; completes once it is committed to the log (deadline as for put). */
    public CompletableFuture<WriteOutcome> delete(NamespaceName namespace, int partitions, byte[] key, WriteCondition condition,
                                                  String idempotencyKey, long deadlineNanos) {
        return owner.submit(new WriteRequest(namespace, partitions, key, null, null, 0, condition, idempotencyKey), deadlineNanos);
    }
}
