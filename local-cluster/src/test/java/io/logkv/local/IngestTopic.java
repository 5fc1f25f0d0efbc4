package io.logkv.local;

import io.logkv.client.LogKvTopics;
import io.logkv.core.IngestHeaders;
import io.logkv.core.RecordEnvelope;
import io.logkv.testkit.KafkaTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A namespace's ingest topic as Kafka holds it after a fault run: every record a streaming application
 * produced, acknowledged or not, in offset order. The owners must apply exactly these, each once, in this
 * order per partition; the history alone cannot say which unacknowledged sends reached Kafka.
 */
final class IngestTopic {

    static final String TOPIC = LogKvTopics.ingest(LogKvHttp.NAMESPACE);

    /**
     * One ingest record.
     *
     * @param value the value as text (envelope stripped), null for a delete or a record that is not an envelope
     * @param ttlMs the {@code logkv.ttl-ms} header, or 0
     */
    record Entry(String key, int partition, long offset, String value, long ttlMs) {

        /** The operation whose write this is, from its value ({@code op=<id>;...}), or -1. */
        long opId() {
            return HistoryOp.idInValue(value);
        }

        String describe() {
            return "ingest " + key + "@" + partition + ":" + offset + " op " + opId() + (ttlMs > 0 ? " ttl " + ttlMs + " ms" : "");
        }
    }

    private final List<Entry> entries;
    private final Map<String, List<Entry>> byKey = new HashMap<>();
    private final Map<Integer, Long> ends;

    private IngestTopic(List<Entry> entries, Map<Integer, Long> ends) {
        this.entries = List.copyOf(entries);
        this.ends = Map.copyOf(ends);
        this.entries.stream().filter(entry -> entry.key() != null)
                .forEach(entry -> byKey.computeIfAbsent(entry.key(), key -> new ArrayList<>()).add(entry));
    }

    /** Records given in offset order per partition, for testing the checks without Kafka. */
    static IngestTopic of(List<Entry> entries) {
        Map<Integer, Long> ends = new TreeMap<>();
        entries.forEach(entry -> ends.merge(entry.partition(), entry.offset() + 1, Math::max));
        return new IngestTopic(entries, ends);
    }

    static IngestTopic empty() {
        return of(List.of());
    }

    /** Reads the whole topic, from its beginning to its end, within {@code timeout}. */
    static IngestTopic read(String bootstrapServers, Duration timeout) {
        KafkaTestCluster.TopicContents topic = KafkaTestCluster.readTopic(bootstrapServers, TOPIC, timeout);
        List<Entry> entries = new ArrayList<>();
        topic.records().forEach(record -> entries.add(entry(record)));
        entries.sort(Comparator.comparingInt(Entry::partition).thenComparingLong(Entry::offset));
        return new IngestTopic(entries, topic.ends());
    }

    private static Entry entry(ConsumerRecord<byte[], byte[]> record) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        String value = null;
        if (record.value() != null) {
            try {
                value = new String(RecordEnvelope.decode(record.value()).value(), StandardCharsets.UTF_8);
            } catch (RuntimeException notAnEnvelope) {
                value = null;
            }
        }
        Header ttl = record.headers().lastHeader(IngestHeaders.TTL_MS);
        long ttlMs = ttl == null ? 0 : Long.parseLong(new String(ttl.value(), StandardCharsets.UTF_8).strip());
        return new Entry(key, record.partition(), record.offset(), value, ttlMs);
    }

    /** Every record, by partition and offset. */
    List<Entry> entries() {
        return entries;
    }

    /** The records of {@code key}, in offset order. */
    List<Entry> entries(String key) {
        return byKey.getOrDefault(key, List.of());
    }

    /** Every record by the operation whose write it is. */
    Map<Long, Entry> byOpId() {
        Map<Long, Entry> byId = new HashMap<>();
        entries.forEach(entry -> byId.put(entry.opId(), entry));
        return byId;
    }

    /** The end offset of every partition when the topic was read. */
    Map<Integer, Long> ends() {
        return ends;
    }
}
