package io.logkv.writer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a partition's writer takes its partition over ({@link OwnershipState#FENCING} then
 * {@link OwnershipState#CATCHING_UP}), first and after a failure: it takes the partition's transactional id,
 * then asks for the partition's end, waits until this node's replica has applied that end and asks where
 * ingest resumes, once the namespace registry, read to its end, still names this region as the namespace's home
 * ({@link NamespaceHomes}). Writes arriving meanwhile wait until their deadline. Runs in the writer's drain; the catch-up's
 * answer comes back from other threads through {@link #caughtUp}, and the writer's drain picks it up.
 */
final class OwnershipTakeover {

    private static final Logger log = LoggerFactory.getLogger(OwnershipTakeover.class);
    private static final long RETRY_PAUSE_MS = 200;
    private static final long NOT_HOME_PAUSE_MS = 1_000;

    private final WriterParts parts;
    private final long assignedNanos;
    /** The answer of the catch-up round in flight; null until it arrives. */
    private volatile CatchUp caughtUp;
    private long appliedBeforeCatchUp;
    private long nextFenceNanos;
    private boolean notHomeLogged;

    OwnershipTakeover(WriterParts parts) {
        this.parts = parts;
        this.assignedNanos = parts.services().time().nanoTime();
    }

    /** FENCING: takes the transactional id, then starts catching up; retries after a pause while Kafka is unreachable. */
    void fence() {
        expireWaiting();
        if (parts.services().time().nanoTime() < nextFenceNanos) {
            return; // a retry is scheduled; ticks only check deadlines meanwhile
        }
        try {
            parts.transactions().fenceEarlierWriters(() -> parts.lifecycle().current() == OwnershipState.CLOSED);
        } catch (WriteFailedException e) {
            if (parts.lifecycle().current() == OwnershipState.CLOSED) {
                return; // given up meanwhile: the drain shuts the writer down
            }
            log.warn("event=fence_failed partition={} error={}", parts.partition(), e.getMessage());
            nextFenceNanos = parts.services().time().nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MS);
            parts.services().timer().schedule(parts.schedule(), RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
            return;
        }
        if (!parts.lifecycle().compareAndTransition(OwnershipState.FENCING, OwnershipState.CATCHING_UP)) {
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
            parts.schedule().run();
        }
    }

    /** Whether a catch-up round has answered and waits for {@link #finishCatchUp()}. */
    boolean answered() {
        return caughtUp != null;
    }

    private void startCatchUpRound() {
        appliedBeforeCatchUp = parts.services().state().appliedPosition(parts.namespace(), parts.partition().partition());
        // Asked after the fence: a promotion of another region, written before it fenced this partition, is seen here.
        parts.services().homes().homeHere(parts.namespace(), parts.services().ends()::registryEnd)
                .thenCompose(home -> home ? catchUpRound() : CompletableFuture.completedFuture(CatchUp.NOT_HOME))
                .exceptionally(error -> new CatchUp(false, -1, -1, error))
                .thenAccept(result -> {
                    caughtUp = result;
                    parts.schedule().run();
                });
    }

    /**
     * Waits until the replica has applied the partition's end, then asks where ingest resumes: only then does
     * the replica know the last progress marker of the fenced owners, the floor below which no ingest record
     * may be applied again.
     */
    private CompletableFuture<CatchUp> catchUpRound() {
        return parts.services().ends().committedEnd(parts.partition())
                .thenCompose(end -> parts.services().state().awaitApplied(parts.namespace(), parts.partition().partition(), end,
                        parts.services().settings().catchUpTimeout()).thenApply(applied -> applied ? end : -1L))
                .thenCompose(end -> end < 0
                        ? CompletableFuture.completedFuture(new CatchUp(false, -1, end, null))
                        : parts.services().ends().ingestStart(parts.ingestPartition(),
                                        parts.services().state().appliedIngestPosition(parts.namespace(), parts.partition().partition()))
                                .thenApply(start -> new CatchUp(true, start, end, null)));
    }

    /** CATCHING_UP: starts writing once the replica has caught up, else tries another round. */
    void finishCatchUp() {
        CatchUp result = caughtUp;
        if (result == null) {
            expireWaiting();
            return;
        }
        caughtUp = null;
        if (result == CatchUp.NOT_HOME) {
            // The registry names another home region: nothing is written here. The node's catalog gives the
            // partition up soon; until then the check is repeated, and every waiting write is answered now.
            if (!notHomeLogged) {
                notHomeLogged = true;
                log.warn("event=partition_not_home partition={} reason=\"the namespace registry names another home region\"",
                        parts.partition());
            }
            parts.waiting().clear(pending -> pending.fail(new WriteFailedException(
                    "the namespace's home is another region now", null, false), parts.services().meters()));
            parts.services().timer().schedule(this::beginCatchUp, NOT_HOME_PAUSE_MS, TimeUnit.MILLISECONDS);
            return;
        }
        if (!result.applied()) {
            expireWaiting();
            long applied = parts.services().state().appliedPosition(parts.namespace(), parts.partition().partition());
            if (result.error() == null && applied > appliedBeforeCatchUp) {
                // A replica that was not here before is replaying a long log: it is getting there.
                log.info("event=catch_up_continues partition={} applied_position={}", parts.partition(), applied);
            } else {
                log.warn("event=catch_up_slow partition={} error={}", parts.partition(),
                        result.error() == null ? "no progress" : result.error().toString());
            }
            parts.services().timer().schedule(this::beginCatchUp, result.error() == null ? 0 : RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
            return;
        }
        parts.recent().forget(parts.partition());
        parts.progress().caughtUpTo(result.end());
        parts.progress().nextIngestOffset = result.ingestStart();
        parts.waiting().rewindIngest(parts.progress().nextIngestOffset);
        if (parts.lifecycle().compareAndTransition(OwnershipState.CATCHING_UP, OwnershipState.WRITING)) {
            log.info("event=partition_owned partition={} catch_up_ms={}", parts.partition(),
                    TimeUnit.NANOSECONDS.toMillis(parts.services().time().nanoTime() - assignedNanos));
        }
    }

    /** Fails writes that have waited past their deadline while this writer could not write. */
    private void expireWaiting() {
        parts.waiting().removeExpired(parts.services().time().nanoTime(), pending -> pending.fail(new WriteFailedException(
                parts.lifecycle().current() == OwnershipState.CATCHING_UP
                        ? "the new owner is still catching up with the partition" : "Kafka is unavailable to this partition's writer",
                null, false), parts.services().meters()));
    }

    /** What a catch-up round found: whether the replica reached the end, and where ingest resumes. */
    private record CatchUp(boolean applied, long ingestStart, long end, Throwable error) {
        /** The registry names another home region for the partition's namespace. */
        static final CatchUp NOT_HOME = new CatchUp(false, -1, -1, null);
    }
}
