package io.logkv.writer;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.LogPosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One turn of a partition's writer while it is {@link OwnershipState#WRITING}: gather a batch, decide it
 * ({@link BatchPlan}), commit it in one transaction, and answer its writes; after a failure, retry what
 * certainly did not commit and fence again when the producer is gone. The home leases ({@link HomeLeaseGate}) are
 * asked before the batch is sent and again before its writes are answered. Runs in the writer's drain.
 */
final class BatchCommit {

    private static final Logger log = LoggerFactory.getLogger(BatchCommit.class);
    /** How long a writer waits for the partition's end when it confirms failed conditions. */
    private static final long CONFIRM_TIMEOUT_MS = 5_000;

    private final WriterParts parts;
    private final OwnershipTakeover takeover;
    private final Runnable close;
    private final HomeLeaseGate leases;

    /** @param close closes the writer (another node fenced it) */
    BatchCommit(WriterParts parts, OwnershipTakeover takeover, Runnable close) {
        this.parts = parts;
        this.takeover = takeover;
        this.close = close;
        this.leases = new HomeLeaseGate(parts);
    }

    /** The writer's gate of the home leases. */
    HomeLeaseGate leases() {
        return leases;
    }

    void writeBatch() {
        if (leases.holdsBack()) {
            return;
        }
        WriteBatch batch = WriteBatch.gather(parts.waiting(), parts.services(), parts.progress());
        if (batch.writes.isEmpty()) {
            return;
        }
        Optional<String> refusal = leases.refusal(false);
        if (refusal.isPresent()) {
            // Nothing is sent. While the leases cannot be told the writes wait; refused by a lease, they fail (and the
            // ingest records are read again later).
            noteWriters(batch);
            if (leases.passes()) {
                rereadIngest(batch);
                leases.putBack(batch, refusal.get());
            } else {
                failUnsent(batch, new WriteFailedException(refusal.get(), null, false));
            }
            return;
        }
        long now = parts.services().time().nowMs();
        BatchPlan plan;
        List<ProducerRecord<byte[], byte[]>> records;
        try {
            plan = BatchPlan.decide(batch.writes, parts.recent(), parts.services().state(), parts.services().ingest(), parts.services().clock(),
                    parts.services().writerId(), parts.services().settings().idempotencyWindow(), now);
            records = records(plan, batch);
        } catch (RuntimeException e) {
            // Nothing was sent: the batch's writes fail (not retried, the cause would repeat) and its ingest
            // records are read again, so none is skipped.
            log.error("event=batch_failed partition={}", parts.partition(), e);
            noteWriters(batch);
            failUnsent(batch, new WriteFailedException("the write could not be prepared: " + e, e, false));
            return;
        }
        if (plan.accepted().isEmpty() && !batch.hasIngest()) {
            noteWriters(batch);
            confirmRejected(batch, plan.rejected()); // checked against committed state only
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = batch.hasIngest()
                ? Map.of(parts.ingestPartition(), new OffsetAndMetadata(batch.ingestEnd)) : Map.of();
        long start = parts.services().time().nanoTime();
        List<Long> stored;
        try {
            stored = parts.transactions().commit(records, offsets);
        } catch (WriteFailedException e) {
            noteWriters(batch);
            afterFailure(batch, e);
            return;
        }
        noteWriters(batch);
        parts.services().meters().committed(parts.services().time().nanoTime() - start, plan.accepted().size());
        committed(batch, plan, records, stored, now);
    }

    /**
     * Notes, before the batch's writes are answered (or put back), how many clients write to the partition: the
     * batch's own and those that waited meanwhile. The next batch lingers for as many ({@link WriteBatch#gather});
     * counted before the answers, so a client answered now and writing again is not counted twice. Ingest records
     * are not counted: nothing answered comes back as one.
     */
    private void noteWriters(WriteBatch batch) {
        parts.progress().lingerTarget = batch.httpWrites() + parts.waiting().waitingHttpWrites();
    }

    /** The transaction's records: the accepted writes (first, in order), the dead letters and the ingest progress markers. */
    private List<ProducerRecord<byte[], byte[]>> records(BatchPlan plan, WriteBatch batch) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(plan.accepted().size() + plan.deadLetters().size() + 1);
        for (BatchPlan.Accepted a : plan.accepted()) {
            records.add(PartitionTransactions.record(a.tp(), a.pending().request(), a.version()));
        }
        records.addAll(plan.deadLetters());
        records.addAll(parts.services().ingest().progressMarkers(batch.writes));
        return records;
    }

    /**
     * Moves the writer past a committed transaction and answers its writes. When the home leases refuse now (the
     * lease ran out while the transaction committed), the transaction stands all the same (this writer moves past
     * it like any other) but no write of it is acknowledged: each answers that its outcome is unknown.
     */
    private void committed(WriteBatch batch, BatchPlan plan, List<ProducerRecord<byte[], byte[]>> records, List<Long> stored, long now) {
        List<BatchPlan.Accepted> accepted = plan.accepted();
        if (batch.hasIngest()) {
            parts.progress().nextIngestOffset = batch.ingestEnd;
            parts.waiting().ingestTaken(batch.ingestCount);
        }
        long first = -1;
        long last = -1;
        int inPartition = 0;
        for (int i = 0; i < records.size(); i++) {
            ProducerRecord<byte[], byte[]> record = records.get(i);
            if (record.topic().equals(parts.partition().topic()) && record.partition() != null && record.partition() == parts.partition().partition()) {
                first = first < 0 ? stored.get(i) : first;
                last = Math.max(last, stored.get(i));
                inPartition++;
            }
        }
        if (last >= 0) {
            parts.progress().committed(first, last, inPartition); // the end moves past the last record and the commit marker
        }
        Optional<String> refusal = accepted.isEmpty() ? Optional.empty() : leases.refusal(true);
        WriteFailedException unacknowledged = refusal.map(reason ->
                new WriteFailedException(reason + " while the write was committed", null, true)).orElse(null);
        for (int i = 0; i < accepted.size(); i++) {
            BatchPlan.Accepted a = accepted.get(i);
            long position = stored.get(i) + 1;
            WriteRequest request = a.pending().request();
            parts.recent().put(parts.partition(), request.key(), new RecentWrites.Entry(a.version(), request.isDelete(), request.expiresAtMs(), position));
            if (request.idempotencyKey() != null) {
                parts.recent().putOutcome(parts.partition(), BatchPlan.idempotencyBytes(request), new IdempotentOutcome(a.version(), position, now, request.key()));
            }
            if (unacknowledged != null) {
                a.pending().fail(unacknowledged, parts.services().meters());
            } else {
                a.pending().result().complete(new WriteOutcome(a.version(),
                        new LogPosition(parts.partition().partition(), position)));
            }
        }
        answerRejected(plan.rejected());
        try {
            parts.recent().prune(parts.partition(), parts.services().state().appliedPosition(parts.namespace(), parts.partition().partition()));
        } catch (RuntimeException e) {
            log.warn("event=recent_prune_failed partition={} error={}", parts.partition(), e.toString());
        }
    }

    private void failUnsent(WriteBatch batch, WriteFailedException error) {
        rereadIngest(batch);
        for (PendingWrite pending : batch.writes) {
            if (pending.source() == null) {
                pending.fail(error, parts.services().meters());
            }
        }
    }

    /** The batch's ingest records were not committed: the group loop reads them again. */
    private void rereadIngest(WriteBatch batch) {
        if (batch.hasIngest()) {
            parts.waiting().ingestTaken(batch.ingestCount);
            parts.waiting().rewindIngest(parts.progress().nextIngestOffset);
        }
    }

    /**
     * A transaction that certainly did not commit never happened: its HTTP writes go back to the front of
     * the queue until their deadline, its ingest records are read again. Writes whose outcome is unknown,
     * or whose writer was fenced by a new owner, fail. A producer that failed is replaced: fence and catch
     * up again, since a commit of unknown outcome may have changed the partition.
     */
    private void afterFailure(WriteBatch batch, WriteFailedException error) {
        rereadIngest(batch);
        long now = parts.services().time().nanoTime();
        List<PendingWrite> again = new ArrayList<>();
        for (PendingWrite pending : batch.writes) {
            if (pending.source() != null) {
                continue;
            }
            boolean retry = !error.outcomeUnknown() && !error.deposed() && !pending.pastDeadline(now);
            if (retry) {
                again.add(pending.retried());
            } else {
                pending.fail(error, parts.services().meters());
            }
        }
        parts.waiting().putBackFirst(again);
        if (error.deposed()) {
            // Another node fenced this partition's transactional id after this one: it is the newer owner.
            // Fencing back would take the partition from it; stop, and let the group's revocation follow.
            log.warn("event=owner_fenced partition={}", parts.partition());
            close.run();
        } else if (!parts.transactions().ready() && parts.lifecycle().compareAndTransition(OwnershipState.WRITING, OwnershipState.FENCING)) {
            parts.services().timer().schedule(parts.schedule(), 0, TimeUnit.MILLISECONDS);
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
    private void confirmRejected(WriteBatch batch, List<BatchPlan.Rejected> rejected) {
        long end;
        try {
            end = parts.services().ends().committedEnd(parts.partition()).get(CONFIRM_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failUnsent(batch, new WriteFailedException("interrupted while confirming the partition's state", e, false));
            return;
        } catch (ExecutionException | TimeoutException e) {
            failUnsent(batch, new WriteFailedException("could not confirm the partition's state: " + e, e, false));
            return;
        }
        if (parts.progress().holdsOnlyKnown(end)) {
            answerRejected(rejected);
            return;
        }
        parts.services().meters().stateRechecked();
        log.info("event=partition_moved_under_writer partition={} known_end={} late_markers={} end={}", parts.partition(),
                parts.progress().knownEnd, parts.progress().lateMarkers, end);
        parts.waiting().putBackFirst(batch.writes.stream().map(PendingWrite::retried).toList());
        if (parts.lifecycle().compareAndTransition(OwnershipState.WRITING, OwnershipState.CATCHING_UP)) {
            takeover.beginCatchUp();
        }
    }

    private void answerRejected(List<BatchPlan.Rejected> rejected) {
        for (BatchPlan.Rejected r : rejected) {
            parts.services().meters().preconditionFailed();
            r.pending().result().completeExceptionally(new PreconditionFailedException(r.current()));
        }
    }
}
