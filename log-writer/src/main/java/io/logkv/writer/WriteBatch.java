package io.logkv.writer;

import io.logkv.core.NodeTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The writes of one transaction, taken from the partition's queue, and the ingest offset after its last
 * ingest record.
 */
final class WriteBatch {

    final List<PendingWrite> writes = new ArrayList<>();
    long bytes;
    /** The ingest offset after the batch's last ingest record; -1 when it has none. */
    long ingestEnd = -1;
    int ingestCount;
    /** The earliest deadline of the batch's HTTP writes ({@link NodeTime#nanoTime()}); none while it has none. */
    private long earliestDeadline;
    private int httpWrites;

    boolean hasIngest() {
        return ingestEnd >= 0;
    }

    /** The batch's writes from clients (not ingest records): the closed-loop writers a commit answers. */
    int httpWrites() {
        return httpWrites;
    }

    /**
     * Takes queued writes up to the batch bounds. With one transaction per partition in flight, the clients
     * the last commit answered write again a moment after the next batch was taken, so closed-loop clients
     * would split into two cohorts taking turns, each paying a transaction of its own. So while the batch
     * holds fewer writes than the last commit answered plus those that waited meanwhile (the other cohort),
     * it waits for the rest, longer the more writers the partition has ({@link OwnerSettings#lingerNanos}): the
     * cohorts merge into one transaction. A lone client never waits.
     */
    static WriteBatch gather(WaitingWrites waiting, WriterServices services, WriterProgress progress) {
        OwnerSettings settings = services.settings();
        NodeTime time = services.time();
        WriteBatch batch = new WriteBatch();
        long lingerUntil = time.nanoTime() + settings.lingerNanos(progress.lingerTarget);
        long expectedOffset = progress.nextIngestOffset;
        while (batch.writes.size() < settings.maxBatchRecords() && batch.bytes < settings.maxBatchBytes()) {
            PendingWrite next = waiting.poll();
            if (next == null) {
                // Linger, never past a deadline of a write already in the batch.
                long until = batch.httpWrites > 0 && batch.earliestDeadline - lingerUntil < 0 ? batch.earliestDeadline : lingerUntil;
                long left = until - time.nanoTime();
                if (batch.writes.isEmpty() || batch.httpWrites >= progress.lingerTarget || left <= 0) {
                    break;
                }
                try {
                    next = waiting.poll(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (next == null) {
                    break;
                }
            }
            if (next.pastDeadline(time.nanoTime())) {
                refuseLate(next, services);
                continue;
            }
            if (next.source() != null) {
                if (waiting.dropIfStale(next, expectedOffset)) {
                    continue; // read before the last rewind: it will be read again
                }
                expectedOffset = next.source().record().offset() + 1;
                batch.ingestEnd = expectedOffset;
                batch.ingestCount++;
            } else {
                batch.earliestDeadline = batch.httpWrites == 0 || next.deadlineNanos() - batch.earliestDeadline < 0
                        ? next.deadlineNanos() : batch.earliestDeadline;
                batch.httpWrites++;
            }
            batch.writes.add(next);
            batch.bytes += next.bytes();
        }
        if (batch.httpWrites > 0 && batch.earliestDeadline - time.nanoTime() < 0) {
            batch.refuseLateWrites(services, time.nanoTime());
        }
        return batch;
    }

    /** Refuses, unsent, the batch's HTTP writes whose deadline passed while it lingered. */
    private void refuseLateWrites(WriterServices services, long nowNanos) {
        writes.removeIf(pending -> {
            if (!pending.pastDeadline(nowNanos)) {
                return false;
            }
            refuseLate(pending, services);
            bytes -= pending.bytes();
            httpWrites--;
            return true;
        });
    }

    private static void refuseLate(PendingWrite pending, WriterServices services) {
        // Never sent, so safe to refuse: a write waits for its transaction no longer than its deadline.
        pending.fail(new WriteFailedException("the write waited for its transaction past its deadline", null, false), services.meters());
    }
}
