package io.logkv.writer;

import io.logkv.core.NamespaceName;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * A write waiting for a transaction: from HTTP ({@code source} null) or from an ingest topic
 * ({@code request} null when the ingest record is malformed).
 *
 * @param deadlineNanos the {@link System#nanoTime()} after which an HTTP write that has not been sent is
 *                      refused instead of sent: the caller (a client, or a peer that forwarded the write
 *                      with its own time left) has stopped waiting for it. Ingest records have no deadline.
 */
record PendingWrite(WriteRequest request, IngestRecords.IngestSource source, CompletableFuture<WriteOutcome> result,
                    long deadlineNanos, int attempts) {

    PendingWrite(WriteRequest request, IngestRecords.IngestSource source, CompletableFuture<WriteOutcome> result,
                 long deadlineNanos) {
        this(request, source, result, deadlineNanos, 1);
    }

    PendingWrite retried() {
        return new PendingWrite(request, source, result, deadlineNanos, attempts + 1);
    }

    /** Whether this is an HTTP write whose caller has stopped waiting. */
    boolean pastDeadline(long nowNanos) {
        return source == null && nowNanos - deadlineNanos > 0;
    }

    TopicPartition truthPartition() {
        if (request != null) {
            return request.namespace().truthPartition(request.partition());
        }
        NamespaceName ns = NamespaceName.ofTopic(source.record().topic());
        return ns == null ? new TopicPartition(source.record().topic(), source.record().partition())
                : ns.truthPartition(source.record().partition());
    }

    /** Answers this write with {@code error}; counts it as failed unless it merely belongs to another owner now. */
    void fail(RuntimeException error, WriterMeters meters) {
        if (result.completeExceptionally(error) && !(error instanceof NotOwnerException)) {
            meters.failed();
        }
    }

    long bytes() {
        return request == null ? 0 : request.key().length + (request.value() == null ? 0 : request.value().length);
    }
}
