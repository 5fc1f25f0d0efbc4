package io.logkv.materializer;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.IngestHeaders;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import io.micrometer.core.instrument.Counter;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each committed log record does to a replica's store: a value is stored (with its expiry index
 * entry), a tombstone deletes (an expiry tombstone also drops its index entry), an ingest progress marker
 * moves the ingest position, the first outcome of a write with an idempotency key is remembered, and
 * anything else is counted as malformed and skipped.
 */
final class RecordsToStore {

    private static final Logger log = LoggerFactory.getLogger(RecordsToStore.class);

    private final Counter malformedRecords;

    RecordsToStore(Counter malformedRecords) {
        this.malformedRecords = malformedRecords;
    }

    /**
     * What a run of records changed.
     *
     * @param records        values and tombstones applied
     * @param bytes          their key and value bytes
     * @param ingestPosition the highest ingest position a progress marker among them named, or 0
     */
    record Applied(int records, long bytes, long ingestPosition) {
    }

    /** Adds the changes of {@code segment} (records of {@code tp}, in log order) to {@code changes}. */
    Applied write(TopicPartition tp, PartitionStore.Batch changes, List<ConsumerRecord<byte[], byte[]>> segment) {
        int applied = 0;
        long bytes = 0;
        long ingestPosition = 0;
        for (ConsumerRecord<byte[], byte[]> record : segment) {
            if (record.key() == null) {
                malformedRecords.increment();
            } else if (IngestHeaders.isProgressMarker(record.key())) {
                ingestPosition = Math.max(ingestPosition, IngestHeaders.progressOf(record.value()));
            } else if (record.value() == null) {
                changes.delete(record.key());
                long expiredAt = Tombstones.expiredAtOf(record.headers());
                if (expiredAt != 0) {
                    changes.forgetExpiry(expiredAt, record.key());
                }
                rememberOutcome(changes, record, Tombstones.versionOf(record.headers()));
                applied++;
                bytes += record.key().length;
            } else if (isEnvelope(record.value())) {
                changes.put(record.key(), record.value());
                rememberOutcome(changes, record, RecordEnvelope.versionOf(record.value()));
                applied++;
                bytes += record.key().length + record.value().length;
            } else {
                malformedRecords.increment();
                log.warn("event=malformed_record partition={} offset={}", tp, record.offset());
            }
        }
        return new Applied(applied, bytes, ingestPosition);
    }

    private static void rememberOutcome(PartitionStore.Batch changes, ConsumerRecord<byte[], byte[]> record, Version version) {
        byte[] idempotencyKey = IdempotentOutcome.keyOf(record.headers());
        if (idempotencyKey != null && version != null) {
            changes.rememberOutcome(idempotencyKey,
                    new IdempotentOutcome(version, record.offset() + 1, record.timestamp(), record.key()).encode());
        }
    }

    private static boolean isEnvelope(byte[] value) {
        return value.length > 2 && value[0] == RecordEnvelope.MAGIC && value[1] == RecordEnvelope.FORMAT_V1;
    }
}
