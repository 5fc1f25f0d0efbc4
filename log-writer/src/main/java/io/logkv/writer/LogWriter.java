package io.logkv.writer;

import io.logkv.core.HybridClock;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Turns puts and deletes of a namespace into records of its truth topic: a put is a
 * {@link RecordEnvelope}, a delete a tombstone, each keyed by the key's UTF-8 bytes and sent to the
 * partition Kafka's default partitioner would choose, with a version taken from this writer's clock.
 */
public final class LogWriter {

    private final TransactionalAppender appender;
    private final HybridClock clock;
    private final int writerId;

    /**
     * @param writerId the identity written into every version this writer makes
     */
    public LogWriter(TransactionalAppender appender, HybridClock clock, int writerId) {
        this.appender = appender;
        this.clock = clock;
        this.writerId = writerId;
    }

    /** Writes a value; completes once the write is committed to the log. */
    public CompletableFuture<WriteOutcome> put(NamespaceName namespace, int partitions, byte[] key,
                                               String contentType, byte[] value, long expiresAtMs) {
        Version version = new Version(clock.next(), writerId);
        byte[] envelope = new RecordEnvelope(version, expiresAtMs, contentType, value).encode();
        return append(namespace, partitions, key, envelope, List.of(), version);
    }

    /** Deletes a key by writing a tombstone; completes once it is committed to the log. */
    public CompletableFuture<WriteOutcome> delete(NamespaceName namespace, int partitions, byte[] key) {
        Version version = new Version(clock.next(), writerId);
        return append(namespace, partitions, key, null, List.of(Tombstones.versionHeader(version)), version);
    }

    private CompletableFuture<WriteOutcome> append(NamespaceName namespace, int partitions, byte[] key, byte[] value,
                                                   List<org.apache.kafka.common.header.Header> headers, Version version) {
        int partition = KeyPartitioner.partitionOf(key, partitions);
        return appender.append(namespace.truthTopic(), partition, key, value, headers)
                .thenApply(stored -> new WriteOutcome(version, LogPosition.covering(stored.partition(), stored.offset())));
    }
}
