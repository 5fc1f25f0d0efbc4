package io.logkv.writer;

import java.time.Duration;

/**
 * How the transactional appender talks to Kafka and how much it batches.
 *
 * @param bootstrapServers   the Kafka cluster
 * @param transactionalId    this writer's transactional id (a restarted writer with the same id fences its predecessor)
 * @param maxPendingWrites   writes that may wait for the next transaction before new ones are refused
 * @param maxBatchRecords    records per transaction at most (group commit)
 * @param maxBatchBytes      bytes per transaction at most
 * @param maxRequestBytes    the producer's {@code max.request.size}: room for the largest record
 * @param transactionTimeout how long the broker lets a transaction stay open before aborting it
 * @param deliveryTimeout    how long a batch may take from hand-over to acknowledgement
 * @param compression        the producer's compression type ({@code none}, {@code lz4}, {@code zstd}, ...)
 */
public record AppenderSettings(
        String bootstrapServers,
        String transactionalId,
        int maxPendingWrites,
        int maxBatchRecords,
        int maxBatchBytes,
        int maxRequestBytes,
        Duration transactionTimeout,
        Duration deliveryTimeout,
        String compression) {
}
