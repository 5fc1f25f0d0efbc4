package io.logkv.writer;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of one truth partition, on the node the writers' group gave it to. Writers of
 * different partitions commit in parallel; within a partition, writes that arrive while a transaction
 * commits share the next one (group commit).
 *
 * <pre>
 *   FENCING ──► CATCHING_UP ──► WRITING ──► CLOSED
 *      ▲                           │
 *      └───────────────────────────┘  the producer failed: fence and catch up again
 * </pre>
 *
 * FENCING takes the partition's transactional id ({@code initTransactions}), which aborts or completes an
 * earlier owner's open transaction and makes every later send of it fail. CATCHING_UP waits until this
 * node's replica has applied the partition's end, so conditions are checked against every acknowledged
 * write; writes arriving meanwhile wait (until their deadline). WRITING checks conditions against what this
 * writer committed recently and the replica, then commits. CLOSED answers every waiting write
 * {@link NotOwnerException}, so the caller can find the new owner.
 *
 * <p>All work runs in {@link #drain()}, at most once at a time, on the node's commit pool: the recent
 * writes, the producer and the ingest position are confined to it.
 */
final class PartitionWriter {

    private static final Logger log = LoggerFactory.getLogger(PartitionWriter.class);
    private static final long RETRY_PAUSE_MS = 200;
    /** How long a writer waits for the partition's end when it confirms failed conditions. */
    private static final long CONFIRM_TIMEOUT_MS = 5_000;

    enum State { FENCING, CATCHING_UP, WRITING, CLOSED }

    private final TopicPartition partition;
    private final TopicPartition ingestPartition;
    private final NamespaceName namespace;
    private final WriterServices services;
    private final PartitionTransactions transactions;
    private final LinkedBlockingDeque<PendingWrite> queue = new LinkedBlockingDeque<>();
    private final AtomicInteger queuedIngest = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicReference<State> state = new AtomicReference<>(State.FENCING);
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Bumped by the group loop each time it re-positions the ingest partition (group loop only writes it). */
    private final AtomicInteger feedEpoch = new AtomicInteger();
    private final RecentWrites recent = new RecentWrites();
    private final long assignedNanos = System.nanoTime();
    private volatile CatchUp caughtUp;
    /** Ingest records read before this feed epoch are stale (read before the last rewind). */
    private volatile int acceptEpoch;
    private long nextIngestOffset;
    private int lastCommittedBatch;
    private long appliedBeforeCatchUp = -1;
    /**
     * The end of the truth partition as far as this writer knows it: the end its last catch-up found, moved
     * past each of its own commits (their records and commit marker). Only this writer adds to the partition
     * while it owns it, so a larger end means another writer has (this one was deposed without knowing yet).
     */
    private long knownEnd = -1;
    private long nextFenceNanos;
    private volatile long closedAtNanos;

    PartitionWriter(TopicPartition partition, TopicPartition ingestPartition, WriterServices services) {
        this.partition = partition;
        this.ingestPartition = ingestPartition;
        this.namespace = NamespaceName.ofTopic(partition.topic());
        this.services = services;
        this.transactions = new PartitionTransactions(services.settings(), partition, services.beforeCommit());
    }

    TopicPartition partition() {
        return partition;
    }

    TopicPartition ingestPartition() {
        return ingestPartition;
    }

    State state() {
        return state.get();
    }

    /** When this writer closed ({@link System#nanoTime()}), or 0 while it is open. */
    long closedAtNanos() {
        return state.get() == State.CLOSED ? closedAtNanos : 0;
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
        if (pending.source() != null) {
            queuedIngest.incrementAndGet();
        }
        queue.add(pending);
        schedule();
    }

    /** Whether the group loop should fetch ingest records for this partition now. */
    boolean wantsIngest(int maxQueued) {
        return state.get() == State.WRITING && feedEpoch.get() >= acceptEpoch && queuedIngest.get() < maxQueued;
    }

    /** The group loop's epoch for records it reads now. */
    int feedEpoch() {
        return feedEpoch.get();
    }

    /** Called by the group loop now and then: writes waiting on a writer that is not writing get their deadlines checked. */
    void tick() {
        if (state.get() != State.WRITING && !queue.isEmpty()) {
            schedule();
        }
    }

    /** Stops writing; completes once waiting writes are answered and the producer is closed. */
    CompletableFuture<Void> close() {
        closedAtNanos = System.nanoTime();
        state.set(State.CLOSED);
        schedule();
        return closed;
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                services.commitPool().execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                scheduled.set(false);
                shutDown(); // the node is stopping
            }
        }
    }

    private void drain() {
        try {
            switch (state.get()) {
                case FENCING -> fence();
                case CATCHING_UP -> finishCatchUp();
                case WRITING -> writeBatch();
                case CLOSED -> shutDown();
            }
        } catch (RuntimeException e) {
            log.error("event=writer_error partition={}", partition, e);
        } finally {
            scheduled.set(false);
            if (hasWork()) {
                schedule();
            }
        }
    }

    private boolean hasWork() {
        return switch (state.get()) {
            case FENCING -> false; // a failed fence schedules its own retry
            case CATCHING_UP -> caughtUp != null;
            case WRITING -> !queue.isEmpty();
            case CLOSED -> !closed.isDone() || !queue.isEmpty();
        };
    }

    // ---- FENCING and CATCHING_UP -------------------------------------------------------------------

    private void fence() {
        expireWaiting();
        if (System.nanoTime() < nextFenceNanos) {
            return; // a retry is scheduled; ticks only check deadlines meanwhile
        }
        try {
            transactions.fenceEarlierWriters();
        } catch (WriteFailedException e) {
            log.warn("event=fence_failed partition={} error={}", partition, e.getMessage());
            nextFenceNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MS);
            services.timer().schedule(this::schedule, RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
            return;
        }
        if (!state.compareAndSet(State.FENCING, State.CATCHING_UP)) {
            return; // closed meanwhile
        }
        beginCatchUp();
    }

    /** Asks for the partition's end and ingest start, then waits for the replica; the answer comes back through {@link #caughtUp}. */
    private void beginCatchUp() {
        try {
            startCatchUpRound();
        } catch (RuntimeException e) {
            // Runs on the timer thread too: a failure must come back to drain(), not vanish with the task.
            caughtUp = new CatchUp(false, -1, -1, e);
            schedule();
        }
    }

    private void startCatchUpRound() {
        appliedBeforeCatchUp = services.state().appliedPosition(namespace, partition.partition());
        CompletableFuture<Long> ingestStart = services.ends().ingestStart(ingestPartition);
        services.ends().committedEnd(partition)
                .thenCompose(end -> services.state().awaitApplied(namespace, partition.partition(), end,
                        services.settings().catchUpTimeout()).thenApply(applied -> applied ? end : -1L))
                .thenCombine(ingestStart, (end, start) -> new CatchUp(end >= 0, start, end, null))
                .exceptionally(error -> new CatchUp(false, -1, -1, error))
                .thenAccept(result -> {
                    caughtUp = result;
                    schedule();
                });
    }

    private void finishCatchUp() {
        CatchUp result = caughtUp;
        if (result == null) {
            expireWaiting();
            return;
        }
        caughtUp = null;
        if (!result.applied()) {
            expireWaiting();
            long applied = services.state().appliedPosition(namespace, partition.partition());
            if (result.error() == null && applied > appliedBeforeCatchUp) {
                // A replica that was not here before is replaying a long log: it is getting there.
                log.info("event=catch_up_continues partition={} applied_position={}", partition, applied);
            } else {
                log.warn("event=catch_up_slow partition={} error={}", partition,
                        result.error() == null ? "no progress" : result.error().toString());
            }
            services.timer().schedule(this::beginCatchUp, result.error() == null ? 0 : RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
            return;
        }
        recent.forget(partition);
        knownEnd = result.end();
        nextIngestOffset = result.ingestStart();
        repositionIngest();
        if (state.compareAndSet(State.CATCHING_UP, State.WRITING)) {
            log.info("event=partition_owned partition={} catch_up_ms={}", partition,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - assignedNanos));
        }
    }

    /** Drops queued ingest records and has the group loop read the partition again from {@link #nextIngestOffset}. */
    private void repositionIngest() {
        if (feedEpoch.get() < acceptEpoch) {
            // A re-position is already on its way; it reads from the committed offset too.
            dropQueuedIngest();
            return;
        }
        long from = nextIngestOffset;
        acceptEpoch = feedEpoch.get() + 1;
        dropQueuedIngest();
        services.groupLoop().run(consumer -> {
            if (consumer.assignment().contains(ingestPartition)) {
                consumer.seek(ingestPartition, from);
            }
            feedEpoch.incrementAndGet();
        });
    }

    private void dropQueuedIngest() {
        queue.removeIf(pending -> {
            if (pending.source() != null) {
                queuedIngest.decrementAndGet();
                return true;
            }
            return false;
        });
    }

    /** Fails writes that have waited past their deadline while this writer could not write. */
    private void expireWaiting() {
        long now = System.nanoTime();
        queue.removeIf(pending -> {
            if (pending.pastDeadline(now)) {
                fail(pending, new WriteFailedException(state.get() == State.CATCHING_UP
                        ? "the new owner is still catching up with the partition" : "Kafka is unavailable to this partition's writer",
                        null, false));
                return true;
            }
            return false;
        });
    }

    // ---- WRITING -----------------------------------------------------------------------------------

    private void writeBatch() {
        Batch batch = gather();
        if (batch.writes.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        BatchPlan plan;
        List<ProducerRecord<byte[], byte[]>> records;
        try {
            plan = BatchPlan.decide(batch.writes, recent, services.state(), services.ingest(), services.clock(),
                    services.writerId(), services.settings().idempotencyWindow(), now);
            records = new ArrayList<>(plan.accepted().size() + plan.deadLetters().size() + 1);
            for (BatchPlan.Accepted a : plan.accepted()) {
                records.add(PartitionTransactions.record(a.tp(), a.pending().request(), a.version()));
            }
            records.addAll(plan.deadLetters());
            records.addAll(services.ingest().progressMarkers(batch.writes));
        } catch (RuntimeException e) {
            // Nothing was sent: the batch's writes fail (not retried, the cause would repeat) and its ingest
            // records are read again, so none is skipped.
            log.error("event=batch_failed partition={}", partition, e);
            failUnsent(batch, new WriteFailedException("the write could not be prepared: " + e, e, false));
            return;
        }
        List<BatchPlan.Accepted> accepted = plan.accepted();
        if (accepted.isEmpty() && batch.ingestEnd < 0) {
            confirmRejected(batch, plan.rejected()); // checked against committed state only
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = batch.ingestEnd < 0
                ? Map.of() : Map.of(ingestPartition, new OffsetAndMetadata(batch.ingestEnd));
        long start = System.nanoTime();
        List<Long> stored;
        try {
            stored = transactions.commit(records, offsets);
        } catch (WriteFailedException e) {
            afterFailure(batch, e);
            return;
        }
        services.meters().committed(System.nanoTime() - start, accepted.size());
        if (batch.ingestEnd >= 0) {
            nextIngestOffset = batch.ingestEnd;
            queuedIngest.addAndGet(-batch.ingestCount);
        }
        lastCommittedBatch = accepted.size();
        for (int i = records.size() - 1; i >= 0; i--) {
            // The last record of this partition in the transaction moves the end: it, then the commit marker.
            ProducerRecord<byte[], byte[]> record = records.get(i);
            if (record.topic().equals(partition.topic()) && record.partition() != null && record.partition() == partition.partition()) {
                knownEnd = Math.max(knownEnd, stored.get(i) + 2);
                break;
            }
        }
        for (int i = 0; i < accepted.size(); i++) {
            BatchPlan.Accepted a = accepted.get(i);
            long position = stored.get(i) + 1;
            WriteRequest request = a.pending().request();
            recent.put(partition, request.key(), new RecentWrites.Entry(a.version(), request.isDelete(), request.expiresAtMs(), position));
            if (request.idempotencyKey() != null) {
                recent.putOutcome(partition, BatchPlan.idempotencyBytes(request), new IdempotentOutcome(a.version(), position, now, request.key()));
            }
            a.pending().result().complete(new WriteOutcome(a.version(), new LogPosition(partition.partition(), position)));
        }
        answerRejected(plan.rejected());
        try {
            recent.prune(partition, services.state().appliedPosition(namespace, partition.partition()));
        } catch (RuntimeException e) {
            log.warn("event=recent_prune_failed partition={} error={}", partition, e.toString());
        }
    }

    private void failUnsent(Batch batch, WriteFailedException error) {
        if (batch.ingestEnd >= 0) {
            queuedIngest.addAndGet(-batch.ingestCount);
            repositionIngest();
        }
        for (PendingWrite pending : batch.writes) {
            if (pending.source() == null) {
                fail(pending, error);
            }
        }
    }

    /**
     * Takes queued writes up to the batch bounds. With one transaction per partition in flight, the clients
     * the last commit answered write again a moment after the next batch was taken, so closed-loop clients
     * would split into two cohorts taking turns; while the batch is smaller than the last commit, it waits
     * up to the commit linger for them. A lone client never waits.
     */
    private Batch gather() {
        OwnerSettings settings = services.settings();
        Batch batch = new Batch();
        long lingerUntil = System.nanoTime() + settings.commitLinger().toNanos();
        long expectedOffset = nextIngestOffset;
        while (batch.writes.size() < settings.maxBatchRecords() && batch.bytes < settings.maxBatchBytes()) {
            PendingWrite next = queue.poll();
            if (next == null) {
                long left = lingerUntil - System.nanoTime();
                if (batch.writes.isEmpty() || batch.writes.size() >= lastCommittedBatch || left <= 0) {
                    break;
                }
                try {
                    next = queue.poll(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (next == null) {
                    break;
                }
            }
            if (next.pastDeadline(System.nanoTime())) {
                // Never sent, so safe to refuse: a write waits for its transaction no longer than its deadline.
                fail(next, new WriteFailedException("the write waited for its transaction past its deadline", null, false));
                continue;
            }
            if (next.source() != null) {
                ConsumerRecord<byte[], byte[]> record = next.source().record();
                if (next.source().feedEpoch() < acceptEpoch || record.offset() < expectedOffset) {
                    queuedIngest.decrementAndGet(); // read before the last rewind: it will be read again
                    continue;
                }
                expectedOffset = record.offset() + 1;
                batch.ingestEnd = expectedOffset;
                batch.ingestCount++;
            }
            batch.writes.add(next);
            batch.bytes += next.bytes();
        }
        return batch;
    }

    /**
     * A transaction that certainly did not commit never happened: its HTTP writes go back to the front of
     * the queue until their deadline, its ingest records are read again. Writes whose outcome is unknown,
     * or whose writer was fenced by a new owner, fail. A producer that failed is replaced: fence and catch
     * up again, since a commit of unknown outcome may have changed the partition.
     */
    private void afterFailure(Batch batch, WriteFailedException error) {
        if (batch.ingestEnd >= 0) {
            queuedIngest.addAndGet(-batch.ingestCount);
            repositionIngest();
        }
        long now = System.nanoTime();
        List<PendingWrite> again = new ArrayList<>();
        for (PendingWrite pending : batch.writes) {
            if (pending.source() != null) {
                continue;
            }
            boolean retry = !error.outcomeUnknown() && !error.deposed() && !pending.pastDeadline(now);
            if (retry) {
                again.add(pending.retried());
            } else {
                fail(pending, error);
            }
        }
        for (int i = again.size() - 1; i >= 0; i--) {
            queue.addFirst(again.get(i));
        }
        if (error.deposed()) {
            // Another node fenced this partition's transactional id after this one: it is the newer owner.
            // Fencing back would take the partition from it; stop, and let the group's revocation follow.
            log.warn("event=owner_fenced partition={}", partition);
            close();
        } else if (!transactions.ready() && state.compareAndSet(State.WRITING, State.FENCING)) {
            services.timer().schedule(this::schedule, 0, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Answers a batch whose every write's condition failed, once it is sure the state the conditions were
     * checked against was the partition's. A deposed owner that does not know it yet (cut from the brokers
     * while another node took over, say) checks conditions against a replica and recent writes that miss the
     * new owner's writes: its 412s would be reads of a stale state, which linearizability forbids. (A batch
     * with writes to commit needs no such check: its commit succeeds only if no other writer fenced it.) The
     * check is one lookup of the partition's end: when the log holds nothing beyond what this writer knows
     * of, no one else has written, and the 412s stand as of that moment. Otherwise the writes go back to the
     * front of the queue and the writer catches up with the log first, without fencing: if another node owns
     * the partition now, the next commit finds out and this writer stops.
     */
    private void confirmRejected(Batch batch, List<BatchPlan.Rejected> rejected) {
        long end;
        try {
            end = services.ends().committedEnd(partition).get(CONFIRM_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failUnsent(batch, new WriteFailedException("interrupted while confirming the partition's state", e, false));
            return;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            failUnsent(batch, new WriteFailedException("could not confirm the partition's state: " + e, e, false));
            return;
        }
        if (end <= knownEnd) {
            answerRejected(rejected);
            return;
        }
        services.meters().stateRechecked();
        log.info("event=partition_moved_under_writer partition={} known_end={} end={}", partition, knownEnd, end);
        for (int i = batch.writes.size() - 1; i >= 0; i--) {
            queue.addFirst(batch.writes.get(i).retried());
        }
        if (state.compareAndSet(State.WRITING, State.CATCHING_UP)) {
            beginCatchUp();
        }
    }

    private void answerRejected(List<BatchPlan.Rejected> rejected) {
        for (BatchPlan.Rejected r : rejected) {
            services.meters().preconditionFailed();
            r.pending().result().completeExceptionally(new PreconditionFailedException(r.current()));
        }
    }

    private void fail(PendingWrite pending, RuntimeException error) {
        if (pending.result().completeExceptionally(error) && !(error instanceof NotOwnerException)) {
            services.meters().failed();
        }
    }

    // ---- CLOSED ------------------------------------------------------------------------------------

    private void shutDown() {
        PendingWrite pending;
        while ((pending = queue.poll()) != null) {
            if (pending.source() == null) {
                fail(pending, new NotOwnerException(partition));
            }
        }
        queuedIngest.set(0);
        if (!closed.isDone()) {
            transactions.close();
            closed.complete(null);
        }
    }

    /** What a catch-up round found: whether the replica reached the end, and where ingest resumes. */
    private record CatchUp(boolean applied, long ingestStart, long end, Throwable error) {
    }

    /** The writes of one transaction, and the ingest offset after its last ingest record (-1: none). */
    private static final class Batch {
        final List<PendingWrite> writes = new ArrayList<>();
        long bytes;
        long ingestEnd = -1;
        int ingestCount;
    }
}
