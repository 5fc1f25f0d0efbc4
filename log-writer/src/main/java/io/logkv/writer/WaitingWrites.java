package io.logkv.writer;

import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The writes waiting for one partition's next transaction, and the bookkeeping of its ingest feed: how many
 * ingest records are queued (backpressure on the group loop), and which were read before the ingest
 * partition's last rewind (stale: they will be read again). Writes are added from any thread and taken
 * by the partition's writer only.
 */
final class WaitingWrites {

    private final TopicPartition ingestPartition;
    private final WriterServices.GroupLoop groupLoop;
    private final LinkedBlockingDeque<PendingWrite> queue = new LinkedBlockingDeque<>();
    private final AtomicInteger queuedIngest = new AtomicInteger();
    /** Bumped by the group loop each time it re-positions the ingest partition (group loop only writes it). */
    private final AtomicInteger feedEpoch = new AtomicInteger();
    /** Ingest records read before this feed epoch are stale (read before the last rewind). */
    private volatile int acceptEpoch;

    WaitingWrites(TopicPartition ingestPartition, WriterServices.GroupLoop groupLoop) {
        this.ingestPartition = ingestPartition;
        this.groupLoop = groupLoop;
    }

    /** Queues a write (any thread). */
    void add(PendingWrite pending) {
        if (pending.source() != null) {
            queuedIngest.incrementAndGet();
        }
        queue.add(pending);
    }

    /** How many HTTP writes wait (ingest records not counted); approximate while writes come and go. */
    int waitingHttpWrites() {
        return Math.max(0, queue.size() - queuedIngest.get());
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** The oldest waiting write, or null. */
    PendingWrite poll() {
        return queue.poll();
    }

    /** The oldest waiting write, waiting up to {@code nanos} for one; null when none came. */
    PendingWrite poll(long nanos) throws InterruptedException {
        return queue.poll(nanos, TimeUnit.NANOSECONDS);
    }

    /** Puts writes back at the front of the queue, in their order: they are taken before any other. */
    void putBackFirst(List<PendingWrite> writes) {
        for (int i = writes.size() - 1; i >= 0; i--) {
            queue.addFirst(writes.get(i));
        }
    }

    /** Removes (and hands to {@code expired}) the HTTP writes whose deadline has passed at {@code nowNanos}. */
    void removeExpired(long nowNanos, Consumer<PendingWrite> expired) {
        queue.removeIf(pending -> {
            if (pending.pastDeadline(nowNanos)) {
                expired.accept(pending);
                return true;
            }
            return false;
        });
    }

    /**
     * Empties the queue, handing each HTTP write to {@code http}; ingest records are dropped (read again by the next
     * owner). Each dropped record is counted out on its own: records added meanwhile, and those of a batch in flight
     * (counted out by {@link #ingestTaken} when it ends), stay counted.
     */
    void clear(Consumer<PendingWrite> http) {
        PendingWrite pending;
        while ((pending = queue.poll()) != null) {
            if (pending.source() == null) {
                http.accept(pending);
            } else {
                queuedIngest.decrementAndGet();
            }
        }
    }

    /** Whether the group loop should fetch more ingest records: none is stale in flight, and few enough are queued. */
    boolean wantsIngest(int maxQueued) {
        return feedEpoch.get() >= acceptEpoch && queuedIngest.get() < maxQueued;
    }

    /** The group loop's epoch for records it reads now. */
    int feedEpoch() {
        return feedEpoch.get();
    }

    /** {@code count} ingest records left the queue in a batch (committed, or to be read again). */
    void ingestTaken(int count) {
        queuedIngest.addAndGet(-count);
    }

    /**
     * Whether an ingest record taken from the queue is stale: read before the last rewind, or below the offset
     * the batch expects next. A stale record is dropped (it will be read again).
     */
    boolean dropIfStale(PendingWrite next, long expectedOffset) {
        ConsumerRecord<byte[], byte[]> record = next.source().record();
        if (next.source().feedEpoch() < acceptEpoch || record.offset() < expectedOffset) {
            queuedIngest.decrementAndGet();
            return true;
        }
        return false;
    }

    /** Drops queued ingest records and has the group loop read the partition again from {@code from}. */
    void rewindIngest(long from) {
        if (feedEpoch.get() < acceptEpoch) {
            // A re-position is already on its way; it reads from the committed offset too.
            dropQueuedIngest();
            return;
        }
        acceptEpoch = feedEpoch.get() + 1;
        dropQueuedIngest();
        groupLoop.run(consumer -> {
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
}
