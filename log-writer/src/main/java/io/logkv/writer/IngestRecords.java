package io.logkv.writer;

import io.logkv.core.IngestHeaders;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.KeyRules;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.NodeTime;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.TimeToLive;
import io.logkv.core.Version;
import io.logkv.core.WriteCondition;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Turns records of ingest topics into writes, dead letters and progress markers. Each partition's writer
 * commits its ingest offset in the same transaction as the records it applied, so every ingest record is
 * applied exactly once, in order, across owner fail-overs.
 */
public final class IngestRecords {

    /** A dead letter's reason is cut to this many characters (a malformed record's message can be long). */
    private static final int MOST_REASON_CHARS = 1024;
    /** A key longer than this is left out of a dead letter that is too large to copy whole. */
    private static final int MOST_DEAD_LETTER_KEY_BYTES = 16 * 1024;

    private final KeyRules keyRules;
    private final long maxValueBytes;
    private final Function<NamespaceName, NamespaceSettings> settingsOf;
    private final Counter deadLettered;
    private final NodeTime time;

    /**
     * @param settingsOf the settings of a namespace (partition count, default TTL), or null when it is unknown
     */
    public IngestRecords(KeyRules keyRules, long maxValueBytes, Function<NamespaceName, NamespaceSettings> settingsOf, MeterRegistry meters) {
        this(keyRules, maxValueBytes, settingsOf, meters, NodeTime.SYSTEM);
    }

    /** @param time whose {@link NodeTime#nowMs()} a time to live counts from */
    public IngestRecords(KeyRules keyRules, long maxValueBytes, Function<NamespaceName, NamespaceSettings> settingsOf, MeterRegistry meters,
                         NodeTime time) {
        this.keyRules = keyRules;
        this.maxValueBytes = maxValueBytes;
        this.settingsOf = settingsOf;
        this.time = time;
        this.deadLettered = Counter.builder("logkv.ingest.dead.lettered")
                .description("Ingest records not applied (malformed or failed condition), sent to the dead-letter topic")
                .register(meters);
    }

    /**
     * One ingest record as a pending write; a malformed one carries the reason instead of a request.
     *
     * @param feedEpoch how many times the group loop had re-positioned the record's ingest partition when it
     *                  read the record (a writer drops records read before its last rewind)
     */
    PendingWrite toWrite(ConsumerRecord<byte[], byte[]> record, int feedEpoch) {
        NamespaceName ns = NamespaceName.ofTopic(record.topic());
        IngestSource source = new IngestSource(record, null, feedEpoch);
        WriteRequest request = null;
        try {
            request = decode(ns, record);
        } catch (IllegalArgumentException e) {
            source = source.malformed(e.getMessage());
        }
        return new PendingWrite(request, source, new CompletableFuture<>(), Long.MAX_VALUE);
    }

    private WriteRequest decode(NamespaceName ns, ConsumerRecord<byte[], byte[]> record) {
        NamespaceSettings settings = ns == null ? null : settingsOf.apply(ns);
        if (settings == null) {
            throw new IllegalArgumentException("unknown namespace");
        }
        int partitions = settings.partitions();
        if (record.key() == null) {
            throw new IllegalArgumentException("the record has no key");
        }
        String key = new String(record.key(), StandardCharsets.UTF_8);
        byte[] keyBytes = keyRules.encode(key);
        if (!java.util.Arrays.equals(keyBytes, record.key())) {
            throw new IllegalArgumentException("the key is not valid UTF-8");
        }
        int keyPartition = KeyPartitioner.partitionOf(keyBytes, partitions);
        if (keyPartition != record.partition()) {
            // Only the owner of the key's partition may write it: applying it here would write another
            // owner's partition, outside its fencing and its condition checks.
            throw new IllegalArgumentException("the record is in ingest partition " + record.partition() + " but its key belongs"
                    + " to partition " + keyPartition + "; produce with Kafka's default (murmur2) partitioner");
        }
        WriteCondition condition = condition(record);
        if (record.value() == null) {
            return new WriteRequest(ns, partitions, keyBytes, null, null, 0, condition, null);
        }
        RecordEnvelope envelope = RecordEnvelope.decode(record.value());
        if (envelope.value().length > maxValueBytes) {
            throw new IllegalArgumentException("the value is larger than " + maxValueBytes + " bytes");
        }
        long expiresAt = envelope.expiresAtMs();
        String ttl = header(record, IngestHeaders.TTL_MS);
        if (ttl != null) {
            long ttlMs = Long.parseLong(ttl.strip());
            if (ttlMs < 1 || ttlMs > TimeToLive.MAX.toMillis()) {
                throw new IllegalArgumentException(IngestHeaders.TTL_MS + " must be between 1 and " + TimeToLive.MAX.toMillis());
            }
            expiresAt = time.nowMs() + ttlMs;
        } else if (expiresAt == RecordEnvelope.NO_EXPIRY && !settings.defaultTtl().isZero()) {
            // As for a PUT without ttl: the namespace's default applies, from the owner's clock.
            expiresAt = time.nowMs() + settings.defaultTtl().toMillis();
        }
        return new WriteRequest(ns, partitions, keyBytes, envelope.value(), envelope.contentType(), expiresAt, condition, null);
    }

    private static WriteCondition condition(ConsumerRecord<byte[], byte[]> record) {
        String ifMatch = header(record, IngestHeaders.IF_MATCH);
        String ifNoneMatch = header(record, IngestHeaders.IF_NONE_MATCH);
        if (ifMatch != null && ifNoneMatch != null) {
            throw new IllegalArgumentException("a record cannot carry both conditions");
        }
        if (ifMatch != null) {
            return WriteCondition.matching(Version.parse(ifMatch.strip()));
        }
        if (ifNoneMatch != null) {
            if (!ifNoneMatch.strip().equals("*")) {
                throw new IllegalArgumentException(IngestHeaders.IF_NONE_MATCH + " must be *");
            }
            return WriteCondition.ABSENT;
        }
        return WriteCondition.NONE;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /**
     * The dead letter for an ingest record that was not applied: the record with its reason and source. A record
     * whose key, value and headers take more than {@link #deadLetterBytes} (a value larger than LogKV accepts, as
     * large as the ingest topic takes) goes without its value and headers, or its key when that is large too: a copy
     * with the dead letter's own headers could pass the limit of the records the writer may produce, and a dead
     * letter that cannot be produced would stop its ingest partition for good. The source says where it is whole.
     */
    ProducerRecord<byte[], byte[]> deadLetter(IngestSource source, String reason) {
        deadLettered.increment();
        ConsumerRecord<byte[], byte[]> record = source.record();
        NamespaceName ns = NamespaceName.ofTopic(record.topic());
        long size = length(record.key()) + length(record.value());
        for (Header header : record.headers()) {
            size += header.key().length() + length(header.value());
        }
        byte[] key = record.key();
        byte[] value = record.value();
        List<Header> headers = new ArrayList<>();
        if (size > deadLetterBytes()) {
            value = null;
            String omitted = "the value (" + length(record.value()) + " bytes) and " + record.headers().toArray().length + " headers";
            if (length(key) > MOST_DEAD_LETTER_KEY_BYTES) {
                key = null;
                omitted += " and the key (" + length(record.key()) + " bytes)";
            }
            headers.add(new RecordHeader(IngestHeaders.DEAD_LETTER_OMITTED, omitted.getBytes(StandardCharsets.UTF_8)));
        } else {
            record.headers().forEach(headers::add);
        }
        String why = reason.length() > MOST_REASON_CHARS ? reason.substring(0, MOST_REASON_CHARS) + "..." : reason;
        headers.add(new RecordHeader(IngestHeaders.DEAD_LETTER_REASON, why.getBytes(StandardCharsets.UTF_8)));
        headers.add(new RecordHeader(IngestHeaders.DEAD_LETTER_SOURCE, (record.topic() + "-"
                + record.partition() + "@" + record.offset()).getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(ns.deadLetterTopic(), null, key, value, headers);
    }

    /**
     * The most a dead letter copies whole: a value LogKV accepts with room for a key and headers, well within the
     * records the writer produces (the largest value and 64 KiB).
     */
    private long deadLetterBytes() {
        return maxValueBytes + 16 * 1024;
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    /**
     * One progress marker per truth partition that {@code batch} applied ingest records to: the marker
     * records, in the same transaction, how far the ingest partition has been applied.
     */
    List<ProducerRecord<byte[], byte[]>> progressMarkers(List<PendingWrite> batch) {
        Map<TopicPartition, Long> reached = new HashMap<>();
        for (PendingWrite pending : batch) {
            if (pending.source() != null) {
                ConsumerRecord<byte[], byte[]> record = pending.source().record();
                reached.merge(pending.truthPartition(), record.offset() + 1, Math::max);
            }
        }
        List<ProducerRecord<byte[], byte[]>> markers = new ArrayList<>();
        reached.forEach((tp, position) -> markers.add(
                new ProducerRecord<>(tp.topic(), tp.partition(), new byte[0], IngestHeaders.progressValue(position))));
        return markers;
    }

    /**
     * Where a write came from when a streaming application produced it.
     *
     * @param record          the ingest record
     * @param malformedReason why it cannot be applied, or null
     * @param feedEpoch       the ingest partition's feed epoch when the record was read
     */
    record IngestSource(ConsumerRecord<byte[], byte[]> record, String malformedReason, int feedEpoch) {

        IngestSource malformed(String reason) {
            return new IngestSource(record, "malformed: " + reason, feedEpoch);
        }
    }
}
