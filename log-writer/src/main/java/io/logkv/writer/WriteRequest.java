package io.logkv.writer;

import io.logkv.core.KeyPartitioner;
import io.logkv.core.NamespaceName;
import io.logkv.core.WriteCondition;

/**
 * One put or delete, as the partition owner receives it (from HTTP or from an ingest topic).
 *
 * @param namespace   the namespace
 * @param partitions  the namespace's partition count
 * @param key         the key's UTF-8 bytes
 * @param value       the value, or null for a delete
 * @param contentType the value's media type (ignored for deletes)
 * @param expiresAtMs epoch ms after which the value reads as absent, or 0
 * @param condition      the precondition
 * @param idempotencyKey the client's idempotency key, or null
 */
public record WriteRequest(NamespaceName namespace, int partitions, byte[] key, byte[] value, String contentType,
                           long expiresAtMs, WriteCondition condition, String idempotencyKey) {

    /** The partition of the key. */
    public int partition() {
        return KeyPartitioner.partitionOf(key, partitions);
    }

    public boolean isDelete() {
        return value == null;
    }

    /** The bytes the write holds while it waits: its key and value. */
    public long heldBytes() {
        return key.length + (value == null ? 0L : value.length);
    }
}
