package io.logkv.writer;

import io.logkv.core.KafkaConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;

/**
 * How a node's partition owner joins the writers' group and writes transactions.
 *
 * @param kafka              how to reach the Kafka cluster
 * @param nodeId             the node's id (in client ids and logs)
 * @param groupId            the consumer group whose assignment decides partition ownership; it also prefixes
 *                           every partition's transactional id
 * @param sessionTimeout     how long the group waits for a silent member before reassigning its partitions
 * @param maxPollInterval    how long the group loop may stall before it leaves the group
 * @param maxPendingWrites   writes that may wait for a transaction on this node before new ones are refused
 * @param maxPendingBytes    bytes of keys and values that may wait for a transaction on this node before new writes
 *                           are refused (a write alone is always taken, however large, when nothing waits)
 * @param maxBatchRecords    records per transaction at most (group commit)
 * @param maxBatchBytes      bytes per transaction at most
 * @param maxRequestBytes    the producer's {@code max.request.size}: room for the largest record
 * @param transactionTimeout how long the broker lets a transaction stay open before aborting it
 * @param deliveryTimeout    how long a write may wait for its transaction, retries included, before it fails
 * @param catchUpTimeout     how long a new owner may take to catch up before writes waiting for it fail
 * @param idempotencyWindow  how long a write's idempotency key answers retries
 * @param compression        the producer's compression type
 * @param commitLinger       after a commit, how long at most the next batch may wait for the writers that commit
 *                           just answered to send again; 0 disables
 * @param commitLingerPerWriter how long the next batch may wait for each writer of the partition (those the last
 *                           commit answered and those that waited meanwhile), up to {@code commitLinger}: a
 *                           transaction saves more by waiting the more writers share it
 * @param commitThreads      transactions of different partitions in flight on this node at once
 */
public record OwnerSettings(
        KafkaConnection kafka,
        String nodeId,
        String groupId,
        Duration sessionTimeout,
        Duration maxPollInterval,
        int maxPendingWrites,
        long maxPendingBytes,
        int maxBatchRecords,
        int maxBatchBytes,
        int maxRequestBytes,
        Duration transactionTimeout,
        Duration deliveryTimeout,
        Duration catchUpTimeout,
        Duration idempotencyWindow,
        String compression,
        Duration commitLinger,
        Duration commitLingerPerWriter,
        int commitThreads) {

    /**
     * Transactional ids per truth partition. A constant, not a setting: every node fences all of them when it takes a
     * partition over, and a node that fenced fewer than another uses would leave a deposed owner an id to commit with.
     * Two, no more: a writer confirming failed conditions allows for one of its own commit markers still on the way
     * ({@link WriterProgress#holdsOnlyKnown}); with three ids the slack would be two, and another writer's record
     * (acknowledged before its own marker is written) could hide in it.
     */
    public static final int TRANSACTIONAL_IDS_PER_PARTITION = 2;

    public OwnerSettings {
        if (commitLinger.isNegative() || commitLingerPerWriter.isNegative()) {
            throw new IllegalArgumentException("the commit linger and its share per writer must not be negative: "
                    + commitLinger + ", " + commitLingerPerWriter);
        }
        if (commitLinger.compareTo(Duration.ofHours(1)) > 0 || commitLingerPerWriter.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("the commit linger and its share per writer hold writes back: at most 1h, not "
                    + commitLinger + ", " + commitLingerPerWriter);
        }
    }

    /**
     * How long a batch may wait for the writers of its partition, {@code writers} of them as the last commit saw
     * them: {@code commitLingerPerWriter} each, at most {@code commitLinger}.
     */
    public long lingerNanos(int writers) {
        long each = commitLingerPerWriter.toNanos();
        long cap = commitLinger.toNanos();
        return writers <= 0 ? 0 : each > cap / writers ? cap : each * writers;
    }

    /**
     * The transactional ids of a truth partition: the same on every node, so that a new owner's
     * {@code initTransactions()} on each fences every earlier writer of the partition. Its writer takes turns
     * between them ({@link AlternatingCommits}).
     */
    public List<String> transactionalIds(TopicPartition truthPartition) {
        return transactionalIds(groupId, truthPartition);
    }

    /**
     * The transactional ids of a truth partition written by the writers' group {@code groupId}, {@link
     * #TRANSACTIONAL_IDS_PER_PARTITION} of them, the first as it has always been named: whoever takes them all (a new
     * owner, or a promotion of another region that fences this region's writers) fences every earlier writer.
     */
    public static List<String> transactionalIds(String groupId, TopicPartition truthPartition) {
        String first = groupId + "." + truthPartition.topic() + "." + truthPartition.partition();
        List<String> ids = new ArrayList<>(TRANSACTIONAL_IDS_PER_PARTITION);
        ids.add(first);
        for (int turn = 1; turn < TRANSACTIONAL_IDS_PER_PARTITION; turn++) {
            ids.add(first + "." + turn);
        }
        return List.copyOf(ids);
    }
}
