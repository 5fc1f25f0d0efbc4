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
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

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
        // read_committed reads to the last stable offset; an acknowledged transaction's commit marker can still be on its
        // way (the commit is acknowledged once decided), with the last stable offset before its records. So the read
        // begins once the last stable offsets have reached the ends the partitions had now.
        awaitStable(bootstrap, topic, Duration.ofSeconds(30));
        for (ConsumerRecord<byte[], byte[]> record : KafkaTestCluster.readTopic(bootstrap, topic, Duration.ofSeconds(60)).records()) {
            // A null value is a tombstone: not a write this test made. An empty key is an ingest progress marker.
            if (record.key() != null && record.key().length > 0 && record.value() != null) {
                versions.computeIfAbsent(new String(record.key(), StandardCharsets.UTF_8), key -> new ArrayList<>())
                        .add(version(record.value()));
            }
        }
        return versions;
    }

    /**
     * Waits, up to {@code timeout}, until every partition's last stable offset has reached its end (high watermark) as it
     * is now: every transaction written so far is decided and marked. After the timeout the read goes on as it is (a
     * transaction left open then shows as records missing from the read, which the checks report).
     */
    private static void awaitStable(String bootstrap, String topic, Duration timeout) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(info -> partitions.put(new TopicPartition(topic, info.partition()), OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(partitions,
                    new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> stable = admin.listOffsets(partitions,
                        new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS);
                if (ends.entrySet().stream().allMatch(end -> stable.get(end.getKey()).offset() >= end.getValue().offset())) {
                    return;
                }
                Thread.sleep(100);
            }
            ProcessCluster.log("the last stable offsets of " + topic + " did not reach the partitions' ends within " + timeout.toSeconds()
                    + " s: a transaction is still open");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            ProcessCluster.log("could not learn whether " + topic + " is stable: " + e);
        }
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
