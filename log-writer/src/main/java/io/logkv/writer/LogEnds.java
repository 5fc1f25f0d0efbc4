package io.logkv.writer;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;

/** Where a new owner of a partition starts ({@link PartitionEnds} asks Kafka's admin client). */
interface LogEnds {

    /** The committed end of a truth partition (its high watermark). */
    CompletableFuture<Long> committedEnd(TopicPartition truthPartition);

    /**
     * Where the writers' group resumes an ingest partition: its committed offset, or its start; never before
     * {@code appliedByReplica}, what the truth partition's progress markers record as applied (see
     * {@link PartitionEnds#resumeAt}).
     */
    CompletableFuture<Long> ingestStart(TopicPartition ingestPartition, long appliedByReplica);

    /** The end (high watermark) of the namespace registry, where a new owner reads its namespace's home to. */
    CompletableFuture<Long> registryEnd();
}
