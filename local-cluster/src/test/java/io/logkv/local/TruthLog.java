package io.logkv.local;

import io.logkv.core.Tombstones;
import io.logkv.testkit.KafkaTestCluster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The truth topic as a {@code read_committed} consumer sees it after a fault run: every record of every
 * key in log order, puts and tombstones, each with its offset, version, value and idempotency key. Unlike
 * {@link CommittedKeys} it keeps positions, so that a history can be checked against tokens (which are
 * positions) and against the order of a key's writes, and it keeps deletes.
 */
final class TruthLog {

    /**
     * One committed record.
     *
     * @param value          the value bytes as text for a put (envelope stripped), null for a tombstone
     * @param idempotencyKey the {@code logkv.idempotency-key} header, or null
     * @param expiresAtMs    a put's expiry (epoch ms) when it has a time to live, else 0
     * @param expiredAtMs    an expiry tombstone's {@code logkv.expired-at} (the expiry of the value it reclaims), else 0
     */
    record Entry(String key, int partition, long offset, String version, boolean tombstone, String value, String idempotencyKey,
                 long expiresAtMs, long expiredAtMs) {

        /** A client's put or delete, without expiry. */
        Entry(String key, int partition, long offset, String version, boolean tombstone, String value, String idempotencyKey) {
            this(key, partition, offset, version, tombstone, value, idempotencyKey, 0, 0);
        }

        /** A tombstone the compactor wrote for an expired value (not a client's delete). */
        boolean expiryTombstone() {
            return tombstone && expiredAtMs > 0;
        }

        /** Whether the key is absent in the state this record leaves, at {@code epochMs}: a tombstone, or a value expired by then. */
        boolean absentAt(long epochMs) {
            return tombstone || (expiresAtMs > 0 && expiresAtMs <= epochMs);
        }

        /** The wall-clock part of the version (epoch ms), or -1 when the version is not one. */
        long versionMs() {
            return version.length() == 24 ? Long.parseUnsignedLong(version.substring(0, 16), 16) >>> 16 : -1;
        }

        String describe() {
            return key + "@" + partition + ":" + offset + " " + (expiryTombstone() ? "expiry-tombstone " : tombstone ? "delete " : "put ")
                    + version + (expiresAtMs > 0 ? " expires-at " + expiresAtMs : "") + (expiredAtMs > 0 ? " expired-at " + expiredAtMs : "")
                    + (idempotencyKey == null ? "" : " idempotency-key " + idempotencyKey);
        }
    }

    private final Map<String, List<Entry>> byKey;
    private final Map<Integer, Long> ends;

    private TruthLog(Map<String, List<Entry>> byKey, Map<Integer, Long> ends) {
        this.byKey = byKey;
        this.ends = ends;
    }

    /** A log made of {@code entries} (in log order per key), for testing the checks without Kafka. */
    static TruthLog of(List<Entry> entries) {
        Map<String, List<Entry>> byKey = new HashMap<>();
        Map<Integer, Long> ends = new TreeMap<>();
        for (Entry entry : entries) {
            byKey.computeIfAbsent(entry.key(), key -> new ArrayList<>()).add(entry);
            ends.merge(entry.partition(), entry.offset() + 1, Math::max);
        }
        return new TruthLog(byKey, ends);
    }

    /** Reads the whole topic, from its beginning to its last stable offset, within {@code timeout}. */
    static TruthLog read(String bootstrapServers, String topic, Duration timeout) {
        KafkaTestCluster.TopicContents contents = KafkaTestCluster.readTopic(bootstrapServers, topic, timeout);
        Map<String, List<Entry>> byKey = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : contents.records()) {
            // An empty key is an ingest progress marker, not data.
            if (record.key() != null && record.key().length > 0) {
                Entry entry = entry(record);
                byKey.computeIfAbsent(entry.key(), key -> new ArrayList<>()).add(entry);
            }
        }
        return new TruthLog(byKey, contents.ends());
    }

    private static Entry entry(ConsumerRecord<byte[], byte[]> record) {
        String key = new String(record.key(), StandardCharsets.UTF_8);
        String idempotencyKey = header(record, "logkv.idempotency-key");
        if (record.value() == null) {
            Header version = record.headers().lastHeader("logkv.version");
            String text = version == null || version.value().length != 12 ? "no-version" : version(ByteBuffer.wrap(version.value()));
            return new Entry(key, record.partition(), record.offset(), text, true, null, idempotencyKey, 0,
                    Tombstones.expiredAtOf(record.headers()));
        }
        byte[] envelope = record.value();
        if (envelope.length < 16 || envelope[0] != 0x4C) {
            return new Entry(key, record.partition(), record.offset(), "not-an-envelope", false, "", idempotencyKey);
        }
        String version = version(ByteBuffer.wrap(envelope, 3, 12));
        // docs/formats.md: flags bit 0 says an 8-byte expiry follows the version; then the content type, then the value.
        boolean expires = (envelope[2] & 1) != 0;
        long expiresAtMs = expires ? ByteBuffer.wrap(envelope, 15, 8).getLong() : 0;
        int at = 15 + (expires ? 8 : 0);
        int contentTypeLength = envelope[at] & 0xff;
        int valueStart = at + 1 + contentTypeLength;
        String value = new String(envelope, valueStart, envelope.length - valueStart, StandardCharsets.UTF_8);
        return new Entry(key, record.partition(), record.offset(), version, false, value, idempotencyKey, expiresAtMs, 0);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String version(ByteBuffer buffer) {
        return String.format(Locale.ROOT, "%016x%08x", buffer.getLong(), buffer.getInt());
    }

    /** Every committed record of {@code key}, in log order (empty if none). */
    List<Entry> entries(String key) {
        return byKey.getOrDefault(key, List.of());
    }

    Collection<List<Entry>> allKeys() {
        return byKey.values();
    }

    int records() {
        return byKey.values().stream().mapToInt(List::size).sum();
    }

    /** The index of {@code version} among the records of {@code key}, or -1. */
    int indexOf(String key, String version) {
        List<Entry> entries = entries(key);
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).version().equals(version)) {
                return i;
            }
        }
        return -1;
    }

    /** The index of the last record of {@code key} below {@code position} (offset < position), or -1 when none. */
    int lastIndexBelow(String key, long position) {
        List<Entry> entries = entries(key);
        int last = -1;
        for (int i = 0; i < entries.size() && entries.get(i).offset() < position; i++) {
            last = i;
        }
        return last;
    }

    /**
     * Whether the key is absent at some state from index {@code from} on, as seen at {@code epochMs}: index -1
     * is the state before any record, each tombstone is an absent state, and so is a value expired by then.
     */
    boolean absentAtOrAfter(String key, int from, long epochMs) {
        List<Entry> entries = entries(key);
        if (from < 0) {
            return true;
        }
        for (int i = from; i < entries.size(); i++) {
            if (entries.get(i).absentAt(epochMs)) {
                return true;
            }
        }
        return false;
    }

    /** The last record of {@code key}, or null when the log holds none. */
    Entry last(String key) {
        List<Entry> entries = entries(key);
        return entries.isEmpty() ? null : entries.get(entries.size() - 1);
    }

    /** The end (last stable offset) of every partition when the log was read. */
    Map<Integer, Long> ends() {
        return ends;
    }
}
