package io.logkv.writer;

import java.time.Duration;

/**
 * How a node's partition owner joins the writers' group and writes transactions.
 *
 * @param bootstrapServers   the Kafka cluster
 * @param nodeId             the node's id: its transactional id is {@code logkv-writer-<nodeId>}
 * @param groupId            the consumer group whose assignment decides partition ownership
 * @param sessionTimeout     how long the group waits for a silent member before reassigning its partitions
 * @param maxPollInterval    how long the owner loop may stall before it leaves the group
 * @param maxPendingWrites   writes that may wait for the next transaction before new ones are refused
 * @param maxBatchRecords    records per transaction at most (group commit)
 * @param maxBatchBytes      bytes per transaction at most
 * @param maxRequestBytes    the producer's {@code max.request.size}: room for the largest record
 * @param transactionTimeout how long the broker lets a transaction stay open before aborting it
 * @param deliveryTimeout    how long a write may take from hand-over to acknowledgement
 * @param catchUpTimeout     how long a new owner may take to catch up before writes waiting for it fail
 * @param idempotencyWindow  how long a write's idempotency key answers retries
 * @param compression        the producer's compression type
 * @param commitLinger       after a commit, how long the next batch may wait for the writers that commit just
 *                           answered to send again; 0 disables
 */
public record OwnerSettings(
        String bootstrapServers,
        String nodeId,
        String groupId,
        Duration sessionTimeout,
        Duration maxPollInterval,
        int maxPendingWrites,
        int maxBatchRecords,
        int maxBatchBytes,
        int maxRequestBytes,
        Duration transactionTimeout,
        Duration deliveryTimeout,
        Duration catchUpTimeout,
        Duration idempotencyWindow,
        String compression,
        Duration commitLinger) {

    /** The transactional id: a restarted node with the same id fences its previous incarnation. */
    public String transactionalId() {
        return "logkv-writer-" + nodeId;
    }
}
