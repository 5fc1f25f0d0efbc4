package io.logkv.query.api;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.springframework.stereotype.Component;

/**
 * The end of a partition as its leader reports it (the high watermark). Every acknowledged write lies
 * below it. The last stable offset is not enough: a transaction is acknowledged once its commit decision
 * is durable, and the markers that make it visible reach the partition a moment later, so the last stable
 * offset can still sit before an acknowledged write. A read_committed replica whose position has reached
 * the high watermark has seen every transaction below it resolved, so it reflects them all. Strong reads
 * wait for it.
 */
@Component
public class CommittedEnds {

    private final Admin admin;

    public CommittedEnds(Admin admin) {
        this.admin = admin;
    }

    /** Asks the partition leader for the committed end; completes without holding a thread. */
    public CompletableFuture<Long> of(TopicPartition partition) {
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .partitionResult(partition)
                .toCompletionStage()
                .toCompletableFuture()
                .thenApply(info -> info.offset());
    }
}
