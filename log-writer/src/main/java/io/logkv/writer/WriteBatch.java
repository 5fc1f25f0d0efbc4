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

    boolean hasIngest() {
        return ingestEnd >= 0;
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
                long left = lingerUntil - time.nanoTime();
                if (batch.writes.isEmpty() || batch.writes.size() >= progress.lingerTarget || left <= 0) {
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
                // Never sent, so safe to refuse: a write waits for its transaction no longer than its deadline.
                next.fail(new WriteFailedException("the write waited for its transaction past its deadline", null, false), services.meters());
                continue;
            }
            if (next.source() != null) {
                if (waiting.dropIfStale(next, expectedOffset)) {
                    continue; // read before the last rewind: it will be read again
                }
                expectedOffset = next.source().record().offset() + 1;
                batch.ingestEnd = expectedOffset;
                batch.ingestCount++;
            }
            batch.writes.add(next);
            batch.bytes += next.bytes();
        }
        return batch;
    }
}
