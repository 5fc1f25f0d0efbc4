package io.logkv.writer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsOptions;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a new owner starts: the end of the truth partition its replica must apply before it checks any
 * condition, and the ingest offset the previous owner's last transaction committed. Both are asked only
 * after the new owner has fenced every earlier writer, so neither can move behind its back.
 */
final class PartitionEnds implements LogEnds, AutoCloseable {

    private final Admin admin;
    private final String groupId;

    PartitionEnds(OwnerSettings settings) {
        Properties props = settings.kafka().properties();
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "logkv-owner-admin-" + settings.nodeId());
        this.admin = Admin.create(props);
        this.groupId = settings.groupId();
    }

    /**
     * The end (high watermark) of a truth partition. Not the last stable offset: the previous owner's last
     * acknowledged transaction can be committed while its markers have not reached the partition yet, and
     * a replica that stopped there would miss that write.
     */
    @Override
    public CompletableFuture<Long> committedEnd(TopicPartition truthPartition) {
        return admin.listOffsets(Map.of(truthPartition, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                .partitionResult(truthPartition).toCompletionStage().toCompletableFuture().thenApply(info -> info.offset());
    }

    /**
     * The first ingest offset not yet applied: what the writers' transactions committed for the group
     * ({@code require_stable}, so a transaction still being resolved is waited for), or the partition's
     * start when nothing was ever committed.
     */
    @Override
    public CompletableFuture<Long> ingestStart(TopicPartition ingestPartition) {
        ListConsumerGroupOffsetsSpec spec = new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(ingestPartition));
        return admin.listConsumerGroupOffsets(Map.of(groupId, spec), new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata(groupId).toCompletionStage().toCompletableFuture()
                .thenCompose(offsets -> {
                    OffsetAndMetadata committed = offsets.get(ingestPartition);
                    if (committed != null) {
                        return CompletableFuture.completedFuture(committed.offset());
                    }
                    return admin.listOffsets(Map.of(ingestPartition, OffsetSpec.earliest())).partitionResult(ingestPartition)
                            .toCompletionStage().toCompletableFuture().thenApply(info -> info.offset());
                });
    }

    @Override
    public CompletableFuture<Long> registryEnd() {
        return committedEnd(NamespaceRegistryTopic.PARTITION);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
