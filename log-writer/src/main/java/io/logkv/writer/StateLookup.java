package io.logkv.writer;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.NamespaceName;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What the partition owner needs from a replica of the partitions it owns: the version a key holds,
 * and a way to wait until the replica has applied a position. (The writer reads state through this
 * interface so that it does not depend on how replicas are kept.)
 */
public interface StateLookup {

    /** The version of the value {@code key} holds, expired or not, or null when the key is absent. */
    StoredVersion stored(NamespaceName namespace, int partition, byte[] key);

    /** The first outcome of a write that carried {@code idempotencyKey} (UTF-8), or null. */
    IdempotentOutcome previousOutcome(NamespaceName namespace, int partition, byte[] idempotencyKey);

    /** The position this node's replica of the partition has applied, or -1 when it holds none. */
    long appliedPosition(NamespaceName namespace, int partition);

    /**
     * The first ingest offset of the partition's ingest partition that this node's replica has seen applied:
     * the highest ingest progress marker in the truth records it has applied (each written in the transaction
     * that applied the ingest records it counts), or 0 when it has seen none or holds no replica.
     */
    long appliedIngestPosition(NamespaceName namespace, int partition);

    /** Completes with true once the replica has applied {@code position}, false after {@code maxWait}. */
    CompletableFuture<Boolean> awaitApplied(NamespaceName namespace, int partition, long position, Duration maxWait);
}
