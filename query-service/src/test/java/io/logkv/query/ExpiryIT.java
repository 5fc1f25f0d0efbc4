package io.logkv.query;

import io.logkv.compactor.ExpiryCompactor;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.WriteCondition;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.LogWriter;
import io.logkv.writer.PreconditionFailedException;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Expiry through the log: an expired key gets a tombstone in its truth partition (read straight from
 * Kafka), written through the owner and conditioned on the expired version, so a rewrite racing the
 * expiry is kept; Kafka's cleaner then removes the key from the log; and a node restarted in the middle of
 * its expiries neither misses one nor writes one twice.
 */
@Tag("integration")
class ExpiryIT {

    private static final String[] FAST_PASSES = {"--logkv.compactor.scan-interval=200ms"};

    @TempDir
    Path dataDir;

    @Test
    void anExpiredKeyGetsATombstoneAndTheLogCleanerThenRemovesIt() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("expiring");
        try (LogKvNode node = LogKvNode.start("expiry-a", kafka.bootstrapServers(), dataDir, FAST_PASSES)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            TopicPartition truth = new TopicPartition(ns.truthTopic(), 0);
            // Small segments and no tombstone retention, so that the cleaner gets to the key within the test.
            alterTopic(kafka, ns.truthTopic(), Map.of("segment.ms", "500", "min.cleanable.dirty.ratio", "0.01",
                    "delete.retention.ms", "0", "min.compaction.lag.ms", "0"));
            HttpResponse<String> put = putWithTtl(node, ns, "brief", "soon gone", "1s");
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
            assertThat(node.put(ns.value(), "lasting", "stays").statusCode()).isEqualTo(200);

            Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> expiryTombstones(kafka, truth).containsKey("brief"));
            assertThat(expiryTombstones(kafka, truth)).as("one expiry tombstone, for the expired key only")
                    .containsOnlyKeys("brief").containsEntry("brief", 1);
            assertThat(node.get(ns.value(), "brief").statusCode()).isEqualTo(404);
            assertThat(node.bean(MeterRegistry.class).counter("logkv.compactor.expiries", "outcome", "written").count())
                    .isGreaterThanOrEqualTo(1);
            PartitionReplica replica = node.bean(LocalReplicas.class).replica(ns, 0);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> replica.read(bytes("brief")) == null);
            assertThat(replica.expiriesDue(Long.MAX_VALUE, 10)).as("the tombstone took the key out of the expiry index").isEmpty();

            // Later writes roll segments; the cleaner drops the value and then the tombstone.
            Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                node.put(ns.value(), "filler", "roll " + System.nanoTime());
                return kafka.readCommitted(List.of(truth)).stream().noneMatch(record -> "brief".equals(key(record)));
            });
            assertThat(node.get(ns.value(), "lasting").body()).isEqualTo("stays");
        }
    }

    @Test
    void aRewriteRacingTheExpiryIsKeptAndAnOutlivedIndexEntryIsDropped() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("racing");
        try (LogKvNode node = LogKvNode.start("expiry-b", kafka.bootstrapServers(), dataDir,
                "--logkv.compactor.expiry-enabled=false")) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            TopicPartition truth = new TopicPartition(ns.truthTopic(), 0);
            assertThat(putWithTtl(node, ns, "raced", "first", "1s").statusCode()).isEqualTo(200);
            assertThat(putWithTtl(node, ns, "left-alone", "expires", "1s").statusCode()).isEqualTo(200);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.get(ns.value(), "raced").statusCode() == 404
                    && node.get(ns.value(), "left-alone").statusCode() == 404);
            PartitionReplica replica = node.bean(LocalReplicas.class).replica(ns, 0);
            RecordEnvelope expired = replica.read(bytes("raced"));
            assertThat(expired).isNotNull();

            // The rewrite lands between the compactor finding the expired value and its tombstone.
            HttpResponse<String> rewrite = node.put(ns.value(), "raced", "second");
            assertThat(rewrite.statusCode()).isEqualTo(200);
            LogWriter writer = node.bean(LogWriter.class);
            assertThatThrownBy(() -> writer.delete(ns, 1, bytes("raced"),
                    WriteCondition.expired(expired.version(), expired.expiresAtMs()), null,
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(10)).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(PreconditionFailedException.class);
            String token = rewrite.headers().firstValue("KV-Token").orElseThrow();
            assertThat(node.get(ns.value(), "raced", "KV-Token", token).body()).isEqualTo("second");

            ExpiryCompactor compactor = node.bean(ExpiryCompactor.class);
            ExpiryCompactor.PassResult pass = compactor.runPass();
            assertThat(pass.written()).as(pass.toString()).isEqualTo(1);
            assertThat(pass.outlived()).as(pass.toString()).isEqualTo(1);
            assertThat(pass.superseded() + pass.failed()).as(pass.toString()).isZero();
            assertThat(expiryTombstones(kafka, truth)).containsOnlyKeys("left-alone");
            assertThat(node.get(ns.value(), "raced", "KV-Token", token).body()).as("the rewrite is kept").isEqualTo("second");
            assertThat(replica.expiriesDue(Long.MAX_VALUE, 10)).isEmpty();
            ExpiryCompactor.PassResult again = compactor.runPass();
            assertThat(again.written() + again.superseded() + again.failed() + again.outlived()).as(again.toString()).isZero();
        }
    }

    /**
     * A writer that refuses a tombstone at once (more writes waiting than it takes) fails that expiry without ending the
     * pass in an error: the pass returns what it did, and the refused expiries get their tombstones from later passes.
     */
    @Test
    void tombstonesAnOverloadedWriterRefusesAreLeftToLaterPasses() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("refused");
        int keys = 5;
        try (LogKvNode node = LogKvNode.start("expiry-d", kafka.bootstrapServers(), dataDir,
                "--logkv.compactor.expiry-enabled=false", "--logkv.writer.max-pending-writes=1")) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            TopicPartition truth = new TopicPartition(ns.truthTopic(), 0);
            for (int i = 0; i < keys; i++) {
                assertThat(putWithTtl(node, ns, "k-" + i, "v", "1s").statusCode()).isEqualTo(200);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.get(ns.value(), "k-" + (keys - 1)).statusCode() == 404);

            // One write may wait at a time, and a pass sends its tombstones without waiting for each: all but the first
            // are refused unless a whole transaction commits between two sends.
            ExpiryCompactor compactor = node.bean(ExpiryCompactor.class);
            ExpiryCompactor.PassResult first = compactor.runPass();
            assertThat(first.failed()).as(first.toString()).isPositive();
            assertThat(first.written()).as(first.toString()).isBetween(1, keys - 1);
            int written = first.written();
            for (int pass = 0; pass < 20 && written < keys; pass++) {
                written += compactor.runPass().written();
            }
            assertThat(written).isEqualTo(keys);
            Map<String, Integer> tombstones = expiryTombstones(kafka, truth);
            assertThat(tombstones).hasSize(keys);
            assertThat(tombstones.values()).as("one expiry tombstone per key").containsOnly(1);
        }
    }

    @Test
    void aNodeRestartedInTheMiddleOfItsExpiriesMissesNoneAndWritesNoneTwice() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("restarted");
        int keys = 120;
        // 20 expiries a second: the node is stopped a little way into them.
        LogKvNode node = LogKvNode.start("expiry-c", kafka.bootstrapServers(), dataDir,
                "--logkv.compactor.scan-interval=250ms", "--logkv.compactor.expiries-per-second=20");
        try {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":2}").statusCode()).isIn(200, 201);
            for (int i = 0; i < keys; i++) {
                assertThat(putWithTtl(node, ns, "k-" + i, "v-" + i, "1s").statusCode()).isEqualTo(200);
            }
            MeterRegistry meters = node.bean(MeterRegistry.class);
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> meters.counter("logkv.compactor.expiries", "outcome", "written").count() >= 15);
            node.stop();
            List<TopicPartition> truth = List.of(new TopicPartition(ns.truthTopic(), 0), new TopicPartition(ns.truthTopic(), 1));
            int before = expiryTombstones(kafka, truth).size();
            assertThat(before).as("stopped mid-way").isBetween(1, keys - 1);

            node.start();
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> expiryTombstones(kafka, truth).size() == keys);
            Map<String, Integer> tombstones = expiryTombstones(kafka, truth);
            assertThat(tombstones.values()).as("one expiry tombstone per key").containsOnly(1);
            for (int p = 0; p < 2; p++) {
                PartitionReplica replica = node.bean(LocalReplicas.class).replica(ns, p);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> replica.expiriesDue(Long.MAX_VALUE, 1).isEmpty());
            }
            // Passes after the last expiry find nothing more to write.
            Thread.sleep(1_000);
            assertThat(expiryTombstones(kafka, truth)).isEqualTo(tombstones);
        } finally {
            node.close();
        }
    }

    private NamespaceName namespace(String prefix) {
        return new NamespaceName(prefix + "-" + Long.toString(System.nanoTime(), 36));
    }

    private static HttpResponse<String> putWithTtl(LogKvNode node, NamespaceName ns, String key, String value, String ttl) {
        return node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), key) + "?ttl=" + ttl))
                .header("Content-Type", "text/plain").PUT(HttpRequest.BodyPublishers.ofString(value)));
    }

    /** The keys with expiry tombstones in the log, and how many each has. */
    private static Map<String, Integer> expiryTombstones(KafkaTestCluster kafka, TopicPartition truth) {
        return expiryTombstones(kafka, List.of(truth));
    }

    private static Map<String, Integer> expiryTombstones(KafkaTestCluster kafka, List<TopicPartition> truth) {
        Map<String, Integer> counts = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : kafka.readCommitted(truth)) {
            if (record.value() == null && Tombstones.expiredAtOf(record.headers()) != 0) {
                counts.merge(key(record), 1, Integer::sum);
            }
        }
        return counts;
    }

    private static String key(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void alterTopic(KafkaTestCluster kafka, String topic, Map<String, String> settings) throws Exception {
        List<AlterConfigOp> ops = settings.entrySet().stream()
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET)).toList();
        kafka.admin().incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), ops))
                .all().get(30, TimeUnit.SECONDS);
    }
}
