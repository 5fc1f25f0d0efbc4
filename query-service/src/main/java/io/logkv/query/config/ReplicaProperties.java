package io.logkv.query.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The {@code logkv.replicas.*} properties: the replicas and the read path.
 *
 * @param blockCache        the RocksDB block cache shared by every replica of the node
 * @param writeBuffers      the RocksDB memtable budget shared by every replica (charged to the cache)
 * @param minBlobSize       values at least this large are kept in RocksDB blob files
 * @param maxPollRecords    log records applied per poll
 * @param maxWaitingReads   reads that may wait for replicas to catch up at once before others get 503
 * @param maxWaitingReadsPerClient reads of one client (its principal; its address on an open node) that may
 *                          wait at once before its others get 429
 * @param maxWaitingReadsPerNamespace reads of one namespace that may wait at once before its others get 429
 * @param defaultWait       how long a read waits for its replica by default ({@code wait_ms})
 * @param maxWait           the largest {@code wait_ms} accepted
 * @param readyMaxLagRecords the lag, in records, under which a node counts as caught up (readiness)
 * @param copies            replicas of each partition across the nodes (the partition's owner is one)
 * @param placementRefresh  how often a node re-reads the group and re-places its replicas
 * @param releaseDelay      how long a node keeps a replica that left its placement (while the new holder catches up)
 * @param forwardTimeout    how long a node forwarded a read may take beyond the read's own wait
 * @param hedgeAfter        a forwarded read not answered by then is also sent to the next replica, and
 *                          the first answer wins (a hung replica costs a read this, not the forward timeout)
 * @param maxBatchKeys      keys one batch-get may ask for
 * @param maxAnswerBytes    the values one batch-get, scan page or {@code MGET} answers at most, in bytes (at least
 *                          one value, whatever its size): a batch-get lists the keys left out as {@code unread}, a
 *                          scan page ends early with its continuation, an {@code MGET} beyond it is refused
 * @param forwardBatchReads eventual reads forwarded to one node that travel in one exchange at most (1: each
 *                          read in its own); reads queue for a node only while {@code forwardBatchesInFlight}
 *                          exchanges to it are unanswered, so an idle node forwards each read at once
 * @param forwardBatchesInFlight exchanges of forwarded reads in flight to one node at once
 * @param strongLookupsInFlight end-offset lookups of strong reads in flight at once; a strong read that arrives while
 *                          they all are joins the next, which starts when one of them completes
 * @param strongReadMinWait the least time a strong read is given to learn the log's end, whatever its {@code wait_ms}:
 *                          every strong read needs that one lookup, so {@code wait_ms=0} cannot mean no wait for it
 * @param maxResumeAge      a replica last written longer ago is replayed from the start rather than resumed;
 *                          keep it below the truth topics' {@code delete.retention.ms} (Kafka's default: 24h)
 */
public record ReplicaProperties(
        @DefaultValue("256MB") DataSize blockCache,
        @DefaultValue("64MB") DataSize writeBuffers,
        @DefaultValue("64KB") DataSize minBlobSize,
        @DefaultValue("2000") int maxPollRecords,
        @DefaultValue("10000") int maxWaitingReads,
        @DefaultValue("1000") int maxWaitingReadsPerClient,
        @DefaultValue("5000") int maxWaitingReadsPerNamespace,
        @DefaultValue("1s") Duration defaultWait,
        @DefaultValue("10s") Duration maxWait,
        @DefaultValue("1000") long readyMaxLagRecords,
        @DefaultValue("2") int copies,
        @DefaultValue("1s") Duration placementRefresh,
        @DefaultValue("30s") Duration releaseDelay,
        @DefaultValue("2s") Duration forwardTimeout,
        @DefaultValue("200ms") Duration hedgeAfter,
        @DefaultValue("1000") int maxBatchKeys,
        @DefaultValue("8MB") DataSize maxAnswerBytes,
        @DefaultValue("64") int forwardBatchReads,
        @DefaultValue("2") int forwardBatchesInFlight,
        @DefaultValue("1") int strongLookupsInFlight,
        @DefaultValue("200ms") Duration strongReadMinWait,
        @DefaultValue("20h") Duration maxResumeAge) {
}
