package io.logkv.writer;

import io.logkv.core.Lifecycle;
import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of one truth partition, on the node the writers' group gave it to. Writers of
 * different partitions commit in parallel; within a partition, writes that arrive while a transaction
 * commits share the next one (group commit).
 *
 * <p>Its ownership moves through {@link OwnershipState}: {@link OwnershipTakeover} fences earlier writers
 * and catches up, {@link BatchCommit} writes, and closing answers every waiting write
 * {@link NotOwnerException}, so the caller can find the new owner.
 *
 * <p>All work runs in {@link #drain()}, at most once at a time, on the node's commit pool: the recent
 * writes, the producer and the ingest position are confined to it.
 */
final class PartitionWriter {

    private static final Logger log = LoggerFactory.getLogger(PartitionWriter.class);

    private final TopicPartition partition;
    private final TopicPartition ingestPartition;
    private final NamespaceName namespace;
    private final WriterServices services;
    private final PartitionCommits transactions;
    private final Lifecycle<OwnershipState> lifecycle;
    private final WaitingWrites waiting;
    private final OwnershipTakeover takeover;
    private final BatchCommit commit;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /**
     * Asked for while a drain may be running: that drain runs once more when it ends. Without it, a request made
     * during a drain (a timer's retry of the fence, say) would find {@link #scheduled} taken and be lost.
     */
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile long closedAtNanos;

    PartitionWriter(TopicPartition partition, TopicPartition ingestPartition, WriterServices services) {
        this.partition = partition;
        this.ingestPartition = ingestPartition;
        this.namespace = NamespaceName.ofTopic(partition.topic());
        this.services = services;
        this.transactions = services.transactions().apply(partition);
        this.lifecycle = new Lifecycle<>("writer of " + partition, OwnershipState.FENCING);
        this.waiting = new WaitingWrites(ingestPartition, services.groupLoop());
        WriterParts parts = new WriterParts(partition, ingestPartition, namespace, services,
                transactions, lifecycle, waiting, new WriterProgress(), new RecentWrites(), this::schedule);
        this.takeover = new OwnershipTakeover(parts);
        this.commit = new BatchCommit(parts, takeover, this::close);
    }

    TopicPartition partition() {
        return partition;
    }

    TopicPartition ingestPartition() {
        return ingestPartition;
    }

    OwnershipState state() {
        return lifecycle.current();
    }

    /** When this writer closed ({@link NodeTime#nanoTime()}), or 0 while it is open. */
    long closedAtNanos() {
        return lifecycle.current() == OwnershipState.CLOSED ? closedAtNanos : 0;
    }

    /** Starts taking the partition over. */
    void start() {
        schedule();
    }

    /**
     * Queues a write (from any thread). Writes wait while the writer fences and catches up; a closed
     * writer answers them {@link NotOwnerException}.
     */
    void offer(PendingWrite pending) {
        waiting.add(pending);
        schedule();
    }

    /**
     * Whether the group loop should fetch ingest records for this partition now: not while the home leases refuse
     * its namespace's writes, whose batches would only put the records back to be read again at once.
     */
    boolean wantsIngest(int maxQueued) {
        return lifecycle.current() == OwnershipState.WRITING && waiting.wantsIngest(maxQueued)
                && services.leases().refusal(namespace).isEmpty();
    }

    /** The group loop's epoch for records it reads now. */
    int feedEpoch() {
        return waiting.feedEpoch();
    }

    /**
     * Called by the group loop now and then: writes waiting on a writer that is not writing, or whose pause for the home
     * leases is over, get their deadlines checked (and the pause ended).
     */
    void tick() {
        if (!waiting.isEmpty() && (lifecycle.current() != OwnershipState.WRITING || commit.leases().pauseEnded())) {
            schedule();
        }
    }

    /** Stops writing; completes once waiting writes are answered and the producer is closed. */
    CompletableFuture<Void> close() {
        closedAtNanos = services.time().nanoTime();
        lifecycle.transition(OwnershipState.CLOSED);
        schedule();
        return closed;
    }

    private void schedule() {
        requested.set(true);
        if (scheduled.compareAndSet(false, true)) {
            try {
                services.commitPool().execute(this::drain);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
                shutDown(); // the node is stopping
            }
        }
    }

    private void drain() {
        requested.set(false);
        try {
            switch (lifecycle.current()) {
                case FENCING -> takeover.fence();
                case CATCHING_UP -> takeover.finishCatchUp();
                case WRITING -> commit.writeBatch();
                case CLOSED -> shutDown();
            }
        } catch (RuntimeException e) {
            log.error("event=writer_error partition={}", partition, e);
        } finally {
            scheduled.set(false);
            if (requested.get() || hasWork()) {
                schedule();
            }
        }
    }

    private boolean hasWork() {
        return switch (lifecycle.current()) {
            case FENCING -> false; // a failed fence schedules its own retry
            case CATCHING_UP -> takeover.answered();
            case WRITING -> !waiting.isEmpty() && !commit.leases().paused(); // a pause schedules its own end
            case CLOSED -> !closed.isDone() || !waiting.isEmpty();
        };
    }

    private void shutDown() {
        waiting.clear(pending -> pending.fail(new NotOwnerException(partition), services.meters()));
        if (!closed.isDone()) {
            transactions.close();
            closed.complete(null);
        }
    }
}
