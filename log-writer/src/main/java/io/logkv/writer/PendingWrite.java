package io.logkv.writer;

import io.logkv.core.NamespaceName;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * A write waiting for a transaction: from HTTP ({@code source} null) or from an ingest topic
 * ({@code request} null when the ingest record is malformed).
 */
record PendingWrite(WriteRequest request, IngestRecords.IngestSource source, CompletableFuture<WriteOutcome> result,
                    long enqueuedNanos, int attempts) {

    PendingWrite(WriteRequest request, IngestRecords.IngestSource source, CompletableFuture<WriteOutcome> result,
                 long enqueuedNanos) {
        this(request, source, result, enqueuedNanos, 1);
    }

    PendingWrite retried() {
        return new PendingWrite(request, source, result, enqueuedNanos, attempts + 1);
    }

    TopicPartition truthPartition() {
        if (request != null) {
            return new TopicPartition(request.namespace().truthTopic(), request.partition());
        }
        NamespaceName ns = NamespaceName.ofTopic(source.record().topic());
        return new TopicPartition(ns == null ? source.record().topic() : ns.truthTopic(), source.record().partition());
    }

    long bytes() {
        return request == null ? 0 : request.key().length + (request.value() == null ? 0 : request.value().length);
    }
}
