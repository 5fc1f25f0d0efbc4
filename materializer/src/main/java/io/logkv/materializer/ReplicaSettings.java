package io.logkv.materializer;

import io.logkv.core.KafkaConnection;
import java.nio.file.Path;

/**
 * How this node keeps its replicas.
 *
 * @param kafka              how to reach the Kafka cluster
 * @param clientId           the consumer's client id (shows in broker metrics)
 * @param dataDir            where the RocksDB stores live, one directory per partition
 * @param blockCacheBytes    the block cache shared by every store on the node
 * @param writeBufferBytes   the memtable budget shared by every store on the node (charged to the cache)
 * @param minBlobBytes       values at least this large go to RocksDB blob files, keeping small values' blocks dense
 * @param maxPollRecords     records per poll of the log
 * @param maxWaiters         reads that may wait for this node to catch up at once
 * @param maxResumeAge       a store last written longer ago than this is wiped and replayed instead of resumed:
 *                           the log may have dropped tombstones it never saw ({@code delete.retention.ms})
 */
public record ReplicaSettings(
        KafkaConnection kafka,
        String clientId,
        Path dataDir,
        long blockCacheBytes,
        long writeBufferBytes,
        long minBlobBytes,
        int maxPollRecords,
        int maxWaiters,
        java.time.Duration maxResumeAge) {

    /** Settings for a cluster reached by its bootstrap servers alone. */
    public ReplicaSettings(String bootstrapServers, String clientId, Path dataDir, long blockCacheBytes, long writeBufferBytes,
                           long minBlobBytes, int maxPollRecords, int maxWaiters, java.time.Duration maxResumeAge) {
        this(KafkaConnection.of(bootstrapServers), clientId, dataDir, blockCacheBytes, writeBufferBytes, minBlobBytes,
                maxPollRecords, maxWaiters, maxResumeAge);
    }
}
