package io.logkv.writer;

import io.logkv.core.Lifecycle;
import io.logkv.core.NamespaceName;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a partition's writer takes its partition over ({@link OwnershipState#FENCING} then
 * {@link OwnershipState#CATCHING_UP}), first and after a failure: it takes the partition's transactional id,
 * then asks for the partition's end and ingest start and waits until this node's replica has applied that
 * end. Writes arriving meanwhile wait until their deadline. Runs in the writer's drain; the catch-up's
 * answer comes back from other threads through {@link #caughtUp}, and the writer's drain picks it up.
 */
final class OwnershipTakeover {

    private static final Logger log = LoggerFactory.getLogger(OwnershipTakeover.class);
    static final long RETRY_PAUSE_MS = 200;

    private final TopicPartition partition;
    private final TopicPartition ingestPartition;
    private final NamespaceName namespace;
    private final WriterServices services;
    private final PartitionTransactions transactions;
    private final Lifecycle<OwnershipState> lifecycle;
    private final WaitingWrites waiting;
    private final WriterProgress progress;
    private final RecentWrites recent;
    private final Runnable schedule;
    private final long assignedNanos = System.nanoTime();
    /** The answer of the catch-up round in flight; null until it arrives. */
    private volatile CatchUp caughtUp;
    private long appliedBeforeCatchUp;
    private long nextFenceNanos;

    /** @param schedule has the writer's drain run again soon (from any thread) */
    OwnershipTakeover(TopicPartition partition, TopicPartition ingestPartition, WriterServices services,
                      PartitionTransactions transactions, Lifecycle<OwnershipState> lifecycle, WaitingWrites waiting,
                      WriterProgress progress, RecentWrites recent, Runnable schedule) {
        this.partition = partition;
        this.ingestPartition = ingestPartition;
        this.namespace = NamespaceName.ofTopic(partition.topic());
        this.services = services;
        this.transactions = transactions;
        this.lifecycle = lifecycle;
        this.waiting = waiting;
        this.progress = progress;
        this.recent = recent;
        this.schedule = schedule;
    }

    /** FENCING: takes the transactional id, then starts catching up; retries after a pause while Kafka is unreachable. */
    void fence() {
        expireWaiting();
        if (System.nanoTime() < nextFenceNanos) {
            return; // a retry is scheduled; ticks only check deadlines meanwhile
        }
        try {
            transactions.fenceEarlierWriters();
        } catch (WriteFailedException e) {
            log.warn("event=fence_failed partition={} error={}", partition, e.getMessage());
            nextFenceNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MS);
            services.timer().schedule(schedule, RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
            return;
        }
        if (!lifecycle.compareAndTransition(OwnershipState.FENCING, OwnershipState.CATCHING_UP)) {
            return; // closed meanwhile
        }
        beginCatchUp();
    }

    /** Asks for the partition's end and ingest start, then waits for the replica; the answer comes back through {@link #caughtUp}. */
    void beginCatchUp() {
        try {
            startCatchUpRound();
        } catch (RuntimeException e) {
            // Runs on the timer thread too: a failure must come back to drain(), not vanish with the task.
            caughtUp = new CatchUp(false, -1, -1, e);
            schedule.run();
        }
    }

    /** Whether a catch-up round has answered and waits for {@link #finishCatchUp()}. */
    boolean answered() {
        return caughtUp != null;
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
                    schedule.run();
                });
    }

    /** CATCHING_UP: starts writing once the replica has caught up, else tries another round. */
    void finishCatchUp() {
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
        progress.knownEnd = result.end();
        progress.nextIngestOffset = result.ingestStart();
        waiting.rewindIngest(progress.nextIngestOffset);
        if (lifecycle.compareAndTransition(OwnershipState.CATCHING_UP, OwnershipState.WRITING)) {
            log.info("event=partition_owned partition={} catch_up_ms={}", partition,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - assignedNanos));
        }
    }

    /** Fails writes that have waited past their deadline while this writer could not write. */
    private void expireWaiting() {
        waiting.removeExpired(System.nanoTime(), pending -> pending.fail(new WriteFailedException(
                lifecycle.current() == OwnershipState.CATCHING_UP
                        ? "the new owner is still catching up with the partition" : "Kafka is unavailable to this partition's writer",
                null, false), services.meters()));
    }

    /** What a catch-up round found: whether the replica reached the end, and where ingest resumes. */
    private record CatchUp(boolean applied, long ingestStart, long end, Throwable error) {
    }
}
