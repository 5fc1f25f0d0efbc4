package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The {@code logkv.writer.*} properties: the write path.
 *
 * @param groupId            the consumer group whose assignment decides which node owns which partition
 * @param sessionTimeout     how long the group waits for a silent node before giving its partitions to others
 * @param maxPollInterval    how long a node's owner loop may stall before it leaves the group
 * @param catchUpTimeout     how long a new owner may take to catch up with a partition
 * @param forwardTimeout     how long a write forwarded to the owner may take
 * @param idempotencyWindow  how long an {@code Idempotency-Key} answers retries with the first outcome
 * @param maxPendingWrites   writes that may wait for a transaction before new ones get 503
 * @param maxPendingBytes    bytes of keys and values that may wait for a transaction before new writes get 503
 *                           (a write alone is taken whatever its size, up to {@code logkv.limits.max-value-bytes})
 * @param maxBatchRecords    records per transaction at most (group commit)
 * @param maxBatchBytes      bytes per transaction at most
 * @param transactionTimeout how long the broker lets an open transaction live before aborting it; above the
 *                           delivery timeout, so that a transaction waiting out a broker fail-over is not
 *                           aborted under the writer
 * @param deliveryTimeout    how long a write may take to be acknowledged before it fails
 * @param compression        Kafka compression of truth records
 * @param commitLinger       after a commit, how long at most the next transaction may wait for the clients
 *                           that commit answered to write again (0: never)
 * @param commitLingerPerWriter how long the next transaction may wait for each client writing to the partition
 *                           (those the last commit answered and those that waited meanwhile), up to
 *                           {@code commitLinger}: with few writers a transaction leaves almost at once, with
 *                           many it waits for them all
 * @param commitThreads      transactions of different partitions in flight on the node at once
 * @param forwardAttemptTimeout how long one forward of a write to its owner may go unanswered (a hung
 *                           owner): then the write is retried at the owner the group names, if it has an
 *                           {@code Idempotency-Key}, else answered 503; about the session timeout plus 2 s
 */
public record WriterProperties(
        @DefaultValue("logkv-writers") String groupId,
        @DefaultValue("10s") Duration sessionTimeout,
        @DefaultValue("30s") Duration maxPollInterval,
        @DefaultValue("30s") Duration catchUpTimeout,
        @DefaultValue("25s") Duration forwardTimeout,
        @DefaultValue("12s") Duration forwardAttemptTimeout,
        @DefaultValue("24h") Duration idempotencyWindow,
        @DefaultValue("10000") int maxPendingWrites,
        @DefaultValue("256MB") DataSize maxPendingBytes,
        @DefaultValue("1000") int maxBatchRecords,
        @DefaultValue("16MB") DataSize maxBatchBytes,
        @DefaultValue("30s") Duration transactionTimeout,
        @DefaultValue("20s") Duration deliveryTimeout,
        @DefaultValue("lz4") String compression,
        @DefaultValue("20ms") Duration commitLinger,
        @DefaultValue("500us") Duration commitLingerPerWriter,
        @DefaultValue("8") int commitThreads) {
}
