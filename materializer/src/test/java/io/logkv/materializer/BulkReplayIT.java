package io.logkv.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica far behind the log replays in bulk-load mode, by table files, and ends with exactly the log's contents. */
@Tag("integration")
class BulkReplayIT {

    private static final NamespaceName NS = new NamespaceName("bulk-replay");
    /** Two partitions, each further behind than the bulk-load threshold when the replica opens. */
    private static final int RECORDS = 2 * (int) (PartitionReplica.BULK_LOAD_LAG_RECORDS + 5_000);
    /** Keys written: each about twice. */
    private static final int KEYS = 40_000;
    /** Keys written every third record of the first half. */
    private static final int HOT_KEYS = 100;

    @TempDir
    Path dataDir;

    @Test
    void aReplayThroughBulkLoadingHoldsExactlyWhatTheLogLeavesAfterOverwritesAndTombstones() throws Exception {
        KafkaTestCluster cluster = KafkaTestCluster.shared();
        new TruthTopics(cluster.admin(), new TruthTopicRequirements(3, 2, 2_000_000), Duration.ofSeconds(30))
                .ensure(NS.truthTopic(), 2);
        // Each key is written about twice, always to the same partition; a hundred hot keys every third record of
        // the log's first half (many times within each table file, and not after the load by files); every
        // eleventh record is a tombstone. The last record of a key in its partition's log is what the replica holds.
        Map<Integer, Map<String, byte[]>> expected = Map.of(0, new TreeMap<>(), 1, new TreeMap<>());
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bulk-replay-loader");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (int i = 0; i < RECORDS; i += 5_000) {
                producer.beginTransaction();
                for (int j = i; j < i + 5_000; j++) {
                    int keyNo = j % 3 == 0 && j < RECORDS / 2 ? j % HOT_KEYS : j % KEYS;
                    byte[] envelope = j % 11 == 0 ? null
                            : new RecordEnvelope(new Version(j + 1, 1), 0, "text/plain", value(j)).encode();
                    producer.send(new ProducerRecord<>(NS.truthTopic(), keyNo % 2, key(keyNo), envelope));
                    expected.get(keyNo % 2).put("key-" + keyNo, envelope);
                }
                producer.commitTransaction();
            }
        }
        // A small memtable budget: each replica stages about a megabyte per table file, so that its files overlap
        // and a key's later value often lands in a later file than its earlier one.
        ReplicaSettings settings = new ReplicaSettings(cluster.bootstrapServers(), "bulk-replay", dataDir,
                16 << 20, 2 << 20, 64 << 10, 2_000, 100, Duration.ofHours(20));
        try (LocalReplicas replicas = new LocalReplicas(settings, new SimpleMeterRegistry())) {
            replicas.replicate(NS, 2).get();
            Awaitility.await().atMost(Duration.ofSeconds(120)).until(() ->
                    replicas.replicas(NS).stream().mapToLong(PartitionReplica::appliedSinceOpen).sum() == RECORDS
                            && replicas.replicas(NS).stream().allMatch(r -> r.lagRecords() == 0));
            assertThat(replicas.replicas(NS)).as("every replica replayed in bulk-load mode")
                    .allMatch(replica -> replica.bulkLoadsEntered() == 1);
            assertThat(replicas.replicas(NS).stream().map(PartitionReplica::tableFilesLoaded))
                    .as("every replica loaded by several table files while it replayed").allMatch(files -> files > 1);
            for (int partition = 0; partition < 2; partition++) {
                PartitionReplica replica = replicas.replica(NS, partition);
                for (Map.Entry<String, byte[]> entry : expected.get(partition).entrySet()) {
                    RecordEnvelope envelope = replica.read(entry.getKey().getBytes(StandardCharsets.UTF_8));
                    assertThat(envelope == null ? null : envelope.value()).as(entry.getKey())
                            .isEqualTo(entry.getValue() == null ? null : RecordEnvelope.decode(entry.getValue()).value());
                }
                assertThat(replica.digest().sha256()).as("partition %d holds no key the log does not leave", partition)
                        .isEqualTo(digestOf(expected.get(partition), dataDir.resolve("expected-" + partition)));
            }
        }
    }

    /** The digest of a store holding exactly {@code contents}, written through the memtable. */
    private static String digestOf(Map<String, byte[]> contents, Path directory) {
        try (StoreResources resources = new StoreResources(8 << 20, 4 << 20, 64 << 10);
             PartitionStore store = PartitionStore.open(directory, resources)) {
            try (PartitionStore.Batch batch = store.newBatch()) {
                contents.forEach((key, envelope) -> {
                    if (envelope != null) {
                        batch.put(key.getBytes(StandardCharsets.UTF_8), envelope);
                    }
                });
                batch.commit(1);
            }
            return store.digest();
        }
    }

    @Test
    void aStoreIdleLongerThanTheResumeAgeIsReplayedFromTheStartInsteadOfResumed() throws Exception {
        KafkaTestCluster cluster = KafkaTestCluster.shared();
        NamespaceName ns = new NamespaceName("resume-age-" + Long.toString(System.nanoTime(), 36));
        new TruthTopics(cluster.admin(), new TruthTopicRequirements(3, 2, 2_000_000), Duration.ofSeconds(30)).ensure(ns.truthTopic(), 1);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "resume-age-loader");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int j = 0; j < 100; j++) {
                producer.send(new ProducerRecord<>(ns.truthTopic(), 0, key(j),
                        new RecordEnvelope(new Version(j + 1, 1), 0, "text/plain", value(j)).encode()));
            }
            producer.commitTransaction();
        }
        for (Duration maxResumeAge : List.of(Duration.ofHours(20), Duration.ofHours(20), Duration.ZERO)) {
            ReplicaSettings settings = new ReplicaSettings(cluster.bootstrapServers(), "resume-age", dataDir,
                    16 << 20, 8 << 20, 64 << 10, 2_000, 100, maxResumeAge);
            try (LocalReplicas replicas = new LocalReplicas(settings, new SimpleMeterRegistry())) {
                replicas.replicate(ns, 1).get();
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> replicas.replica(ns, 0).lagRecords() == 0
                        && replicas.replica(ns, 0).appliedPosition() > 100);
                PartitionReplica replica = replicas.replica(ns, 0);
                if (maxResumeAge.isZero()) {
                    assertThat(replica.resumedFrom()).as("an idle store is not resumed").isZero();
                    assertThat(replica.appliedSinceOpen()).isEqualTo(100);
                } else if (replica.resumedFrom() > 0) {
                    assertThat(replica.appliedSinceOpen()).as("a recent store resumes where it stopped").isZero();
                }
            }
            Thread.sleep(5);
        }
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(int i) {
        return ("value-" + i + "-" + "x".repeat(100)).getBytes(StandardCharsets.UTF_8);
    }
}
