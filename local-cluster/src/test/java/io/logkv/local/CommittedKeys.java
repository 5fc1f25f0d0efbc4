package io.logkv.local;

import io.logkv.testkit.KafkaTestCluster;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

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
        Map<String, List<String>> versions = new HashMap<>();
        // read_committed: the end is the last stable offset, so every committed transaction is below it.
        for (ConsumerRecord<byte[], byte[]> record : KafkaTestCluster.readTopic(bootstrap, topic, Duration.ofSeconds(60)).records()) {
            // A null value is a tombstone: not a write this test made. An empty key is an ingest progress marker.
            if (record.key() != null && record.key().length > 0 && record.value() != null) {
                versions.computeIfAbsent(new String(record.key(), StandardCharsets.UTF_8), key -> new ArrayList<>())
                        .add(version(record.value()));
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
