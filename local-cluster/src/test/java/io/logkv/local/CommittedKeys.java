package io.logkv.local;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** What the fault tests check acknowledged writes against: the keys committed to a topic, read straight from Kafka. */
final class CommittedKeys {

    private CommittedKeys() {
    }

    /** Every key of a live record a read_committed consumer finds in the topic, from its beginning to its end. */
    static Set<String> of(String bootstrap, String topic) {
        return versions(bootstrap, topic).keySet();
    }

    /**
     * The versions of every live record a read_committed consumer finds in the topic, by key, in log order:
     * a key written once has one, a write committed twice (a duplicate, or a deposed owner's record made
     * visible) shows as two. The version is read from the record envelope (docs/formats.md).
     */
    static Map<String, List<String>> versions(String bootstrap, String topic) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, List<String>> versions = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(PartitionInfo::partition)
                    .map(p -> new TopicPartition(topic, p))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // read_committed: the end is the last stable offset, so every committed transaction is below it.
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    // A null value is a tombstone: not a write this test made.
                    // An empty key is an ingest progress marker.
                    if (record.key() != null && record.key().length > 0 && record.value() != null) {
                        versions.computeIfAbsent(new String(record.key(), StandardCharsets.UTF_8), key -> new ArrayList<>())
                                .add(version(record.value()));
                    }
                }
            }
        }
        return versions;
    }

    /** The version in an envelope: timestamp (8 bytes at offset 3) and writer (4 bytes), as the API spells it. */
    private static String version(byte[] envelope) {
        if (envelope.length < 15 || envelope[0] != 0x4C) {
            return "not-an-envelope";
        }
        ByteBuffer buffer = ByteBuffer.wrap(envelope, 3, 12);
        return String.format(Locale.ROOT, "%016x%08x", buffer.getLong(), buffer.getInt());
    }
}
