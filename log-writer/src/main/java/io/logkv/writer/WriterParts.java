package io.logkv.writer;

import io.logkv.core.Lifecycle;
import io.logkv.core.NamespaceName;
import org.apache.kafka.common.TopicPartition;

/**
 * What the parts of one partition's writer ({@link OwnershipTakeover}, {@link BatchCommit}) share: the
 * partition, the node's services, the producer, the lifecycle, the waiting writes and what the writer knows.
 * Everything but the lifecycle and the waiting writes is confined to the writer's drain.
 *
 * @param schedule has the writer's drain run again soon (from any thread)
 */
record WriterParts(TopicPartition partition, TopicPartition ingestPartition, NamespaceName namespace, WriterServices services,
                   PartitionCommits transactions, Lifecycle<OwnershipState> lifecycle, WaitingWrites waiting,
                   WriterProgress progress, RecentWrites recent, Runnable schedule) {
}
