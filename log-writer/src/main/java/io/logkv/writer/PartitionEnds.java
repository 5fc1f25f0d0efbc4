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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a new owner starts: the end of the truth partition its replica must apply before it checks any
 * condition, and the ingest offset the previous owner's last transaction committed. Both are asked only
 * after the new owner has fenced every earlier writer, so neither can move behind its back.
 */
final class PartitionEnds implements LogEnds, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionEnds.class);

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
     * The first ingest offset not yet applied (see {@link #resumeAt}): what the writers' transactions committed
     * for the group ({@code require_stable}, so a transaction still being resolved is waited for), raised to
     * what the truth partition's progress markers record, with the ingest partition's start and end as bounds.
     */
    @Override
    public CompletableFuture<Long> ingestStart(TopicPartition ingestPartition, long appliedByReplica) {
        ListConsumerGroupOffsetsSpec spec = new ListConsumerGroupOffsetsSpec().topicPartitions(List.of(ingestPartition));
        CompletableFuture<Long> earliest = offset(ingestPartition, OffsetSpec.earliest());
        CompletableFuture<Long> end = offset(ingestPartition, OffsetSpec.latest());
        return admin.listConsumerGroupOffsets(Map.of(groupId, spec), new ListConsumerGroupOffsetsOptions().requireStable(true))
                .partitionsToOffsetAndMetadata(groupId).toCompletionStage().toCompletableFuture()
                .thenCombine(earliest.thenCombine(end, (first, last) -> new long[]{first, last}), (offsets, bounds) -> {
                    OffsetAndMetadata committed = offsets.get(ingestPartition);
                    long start = resumeAt(committed == null ? -1 : committed.offset(), appliedByReplica, bounds[0], bounds[1]);
                    if (start != (committed == null ? bounds[0] : committed.offset())) {
                        log.warn("event=ingest_resumed_from_markers ingest_partition={} group={} committed_offset={} marker_position={}"
                                        + " start={} end={} resumed_at={} reason=\"{}\"", ingestPartition, groupId,
                                committed == null ? "none" : committed.offset(), appliedByReplica, bounds[0], bounds[1], start,
                                committed != null && committed.offset() > bounds[1]
                                        ? "the ingest partition ends before the committed offset: it lost records (unclean leader election)"
                                        : appliedByReplica > bounds[1]
                                        ? "the ingest partition ends before the applied position: it was deleted and created again, or lost records"
                                        : "the group's committed offset is missing or behind what the truth partition applied"
                                        + " (offsets expired, group id changed or offsets reset)");
                    }
                    return start;
                });
    }

    private CompletableFuture<Long> offset(TopicPartition partition, OffsetSpec spec) {
        return admin.listOffsets(Map.of(partition, spec)).partitionResult(partition)
                .toCompletionStage().toCompletableFuture().thenApply(info -> info.offset());
    }

    /**
     * Where a new owner resumes an ingest partition. Its truth partition's progress markers, written in the
     * same transactions as the group's offsets, say how far ingest was applied; the group's offset can be
     * missing (it expired after {@code offsets.retention.minutes} with every node stopped, or the group id
     * changed) or behind (reset by hand), and resuming there would apply records again over newer writes.
     * So ingest resumes at the committed offset (the partition's start when there is none), but never before
     * the markers' position; unless that position lies past the partition's end, which happens when the
     * ingest topic was deleted and created again (its offsets start over and the markers say nothing of it) or
     * lost its tail in an unclean leader election. A committed offset past the end can only be the second (a
     * deleted topic's offsets are deleted with it): ingest resumes at the end, where the next record will be.
     * The markers do not name the topic's incarnation, so a topic created again that already holds more records
     * than the markers' position cannot be told apart from the one they describe: docs/operations.md forbids
     * deleting a namespace's ingest topic while the namespace exists.
     *
     * @param committed        the group's committed offset, or -1 when there is none
     * @param appliedByReplica the progress markers' position in the caught-up replica, 0 when there are none
     * @param earliest         the ingest partition's first offset
     * @param end              the ingest partition's end offset
     */
    static long resumeAt(long committed, long appliedByReplica, long earliest, long end) {
        if (committed > end) {
            return end;
        }
        long fromGroup = committed >= 0 ? committed : earliest;
        if (appliedByReplica > end) {
            return fromGroup;
        }
        return Math.max(fromGroup, appliedByReplica);
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
