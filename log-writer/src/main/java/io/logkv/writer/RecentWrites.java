package io.logkv.writer;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.Version;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * Writes this owner committed that its replica may not have applied yet. Conditions are checked against
 * these first and the replica second, so an owner never has to wait for its own replica between
 * transactions. Entries leave once the replica has applied their position.
 */
final class RecentWrites {

    private final Map<TopicPartition, Map<ByteBuffer, Entry>> byPartition = new HashMap<>();
    private final Map<TopicPartition, Map<ByteBuffer, IdempotentOutcome>> outcomes = new HashMap<>();

    /** The outcome of a write this owner committed with {@code idempotencyKey}, not yet applied by its replica. */
    IdempotentOutcome outcome(TopicPartition partition, byte[] idempotencyKey) {
        Map<ByteBuffer, IdempotentOutcome> entries = outcomes.get(partition);
        return entries == null ? null : entries.get(ByteBuffer.wrap(idempotencyKey));
    }

    void putOutcome(TopicPartition partition, byte[] idempotencyKey, IdempotentOutcome outcome) {
        outcomes.computeIfAbsent(partition, p -> new HashMap<>()).putIfAbsent(ByteBuffer.wrap(idempotencyKey), outcome);
    }

    /** What this owner last wrote to a key, or null when it has not written it since the replica caught up. */
    Entry get(TopicPartition partition, byte[] key) {
        Map<ByteBuffer, Entry> entries = byPartition.get(partition);
        return entries == null ? null : entries.get(ByteBuffer.wrap(key));
    }

    void put(TopicPartition partition, byte[] key, Entry entry) {
        byPartition.computeIfAbsent(partition, p -> new HashMap<>()).put(ByteBuffer.wrap(key), entry);
    }

    /** Forgets entries the replica has applied. */
    void prune(TopicPartition partition, long appliedPosition) {
        Map<ByteBuffer, Entry> entries = byPartition.get(partition);
        if (entries != null) {
            entries.values().removeIf(entry -> entry.position() <= appliedPosition);
            if (entries.isEmpty()) {
                byPartition.remove(partition);
            }
        }
        Map<ByteBuffer, IdempotentOutcome> known = outcomes.get(partition);
        if (known != null) {
            known.values().removeIf(outcome -> outcome.position() <= appliedPosition);
            if (known.isEmpty()) {
                outcomes.remove(partition);
            }
        }
    }

    void forget(TopicPartition partition) {
        byPartition.remove(partition);
        outcomes.remove(partition);
    }

    Iterable<TopicPartition> partitions() {
        java.util.Set<TopicPartition> all = new java.util.HashSet<>(byPartition.keySet());
        all.addAll(outcomes.keySet());
        return all;
    }

    /**
     * One committed write.
     *
     * @param version     the version written
     * @param deleted     whether the write was a delete
     * @param expiresAtMs its expiry, or 0
     * @param position    the log position covering it
     */
    record Entry(Version version, boolean deleted, long expiresAtMs, long position) {

        /** The value this write left, expired or not; null when it was a delete. */
        StoredVersion stored() {
            return deleted ? null : new StoredVersion(version, expiresAtMs);
        }
    }
}
