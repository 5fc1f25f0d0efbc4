package io.logkv.materializer;

import io.logkv.core.DaemonThreads;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.TopicPartition;

/**
 * Digests of replicas at exact log positions. A digest asked for at position P is taken when the replica
 * has applied every committed record below P and none above: the applier cuts its batches at P
 * ({@link #nextCut}) and calls {@link #takeDue} between the two parts. The snapshot is taken on the
 * applying thread, the digest computed on this class's own thread. Used by the applier's two threads, never
 * at once: asked in a command on the polling thread while the applying thread waits with nothing to apply,
 * taken on the applying thread (the hand-over of each poll orders the two).
 */
final class ReplicaDigests {

    private record Pending(long position, CompletableFuture<ReplicaDigest> result) {
    }

    /** Digests asked for at positions not yet applied, by partition, lowest position first. */
    private final Map<TopicPartition, List<Pending>> pending = new HashMap<>();
    private final ExecutorService digester = Executors.newSingleThreadExecutor(DaemonThreads.named("logkv-replica-digests"));

    /**
     * Asks for the digest of {@code replica} at {@code position}: taken at once when the replica is there,
     * else when it gets there.
     *
     * @throws PositionPassedException when the replica has already applied beyond it
     */
    void ask(TopicPartition tp, PartitionReplica replica, long position, CompletableFuture<ReplicaDigest> result) {
        long applied = replica.appliedPosition();
        long consumed = replica.consumedPosition();
        if (applied > position || consumed > applied && consumed >= position) {
            // With batches staged for a table file (or a file not yet published), the store will show more
            // than the applied position at once: a digest at or below what is staged cannot be taken exactly.
            throw new PositionPassedException(tp, position, consumed);
        }
        Pending asked = new Pending(position, result);
        if (applied == position) {
            take(replica, asked);
            return;
        }
        List<Pending> queue = pending.computeIfAbsent(tp, k -> new ArrayList<>());
        queue.add(asked);
        queue.sort(Comparator.comparingLong(Pending::position));
    }

    /** Whether a digest of {@code tp} waits for its position. */
    boolean waiting(TopicPartition tp) {
        return pending.containsKey(tp);
    }

    /** The lowest position a digest of {@code tp} waits for: the applier must not apply past it in one batch. */
    long nextCut(TopicPartition tp) {
        List<Pending> queue = pending.get(tp);
        return queue == null || queue.isEmpty() ? Long.MAX_VALUE : queue.get(0).position();
    }

    /** Takes the digests due at or below {@code limit}: the replica holds every committed record below each. */
    void takeDue(TopicPartition tp, PartitionReplica replica, long limit) {
        List<Pending> queue = pending.get(tp);
        while (queue != null && !queue.isEmpty() && queue.get(0).position() <= limit) {
            take(replica, queue.remove(0));
        }
        if (queue != null && queue.isEmpty()) {
            pending.remove(tp);
        }
    }

    /** Fails the digests waiting on a replica that closed. */
    void closed(TopicPartition tp) {
        List<Pending> queue = pending.remove(tp);
        if (queue != null) {
            queue.forEach(d -> d.result().completeExceptionally(new ReplicaUnavailableException(tp + " was closed")));
        }
    }

    void shutdown() {
        digester.shutdown();
    }

    private void take(PartitionReplica replica, Pending asked) {
        if (asked.result().isDone()) {
            return; // timed out meanwhile
        }
        ContentSnapshot snapshot = replica.store().snapshot();
        digester.execute(() -> {
            try {
                asked.result().complete(replica.digest(snapshot, asked.position()));
            } catch (RuntimeException e) {
                asked.result().completeExceptionally(e);
            }
        });
    }
}
