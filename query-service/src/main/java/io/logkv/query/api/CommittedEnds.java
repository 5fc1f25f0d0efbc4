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
 * The committed end of a partition (its last stable offset): every write acknowledged so far lies below
 * it, so a replica that has applied it reflects them all. Strong reads wait for it.
 */
@Component
public class CommittedEnds {

    private final Admin admin;

    public CommittedEnds(Admin admin) {
        this.admin = admin;
    }

    /** Asks the partition leader for the committed end; completes without holding a thread. */
    public CompletableFuture<Long> of(TopicPartition partition) {
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .partitionResult(partition)
                .toCompletionStage()
                .toCompletableFuture()
                .thenApply(info -> info.offset());
    }
}
