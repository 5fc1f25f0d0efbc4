package io.logkv.compactor.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.ReplicaDigest;
import io.logkv.materializer.ReplicaSettings;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica seeded from a snapshot and the log after it ends equal to one replayed from the start (their
 * digests at the same position), and replays only the tail; for the directory store and for an S3 store
 * (S3Proxy, a real S3 API server, on a file-system backend). A snapshot older than the tombstone window, or of
 * a namespace deleted since and created again, is refused, and the replica replays the whole log, saying why. A
 * store left half seeded by a stopped node opens and ends equal to a full replay.
 */
@Tag("integration")
class SnapshotBootstrapIT {

    private static final int BEFORE = 3_000;
    private static final int TAIL = 500;

    @TempDir
    Path dir;

    @Test
    void snapshotPlusTailEqualsAFullReplayFromADirectory() throws Exception {
        roundTrip(new DirectorySnapshotStore(dir.resolve("snapshots")));
    }

    @Test
    void snapshotPlusTailEqualsAFullReplayFromS3() throws Exception {
        try (S3TestServer server = S3TestServer.start(dir.resolve("s3-data"));
             S3SnapshotStore store = server.store("logkv/snapshots")) {
            roundTrip(store);
        }
    }

    @Test
    void aSnapshotOlderThanTheTombstoneWindowIsRefusedAndTheWholeLogReplayed() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("old-snapshot");
        SnapshotStore store = new DirectorySnapshotStore(dir.resolve("snapshots"));
        produce(kafka, ns, 0, BEFORE, List.of());
        try (LocalReplicas source = replicas(kafka, "source")) {
            PartitionReplica replica = caughtUp(source, ns, BEFORE);
            snapshots(store, source).take(replica);
        }
        // The node seeding from it thinks the snapshot is older than its tombstone window (a clock a day ahead).
        long dayLater = System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1);
        try (LocalReplicas seeded = replicas(kafka, "too-late");
             ReplicaSnapshots snapshots = new ReplicaSnapshots(store, seeded, Set::of, settings(Duration.ofHours(20)),
                     new SimpleMeterRegistry(), () -> dayLater)) {
            seeded.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(seeded, ns, BEFORE);
            assertThat(replica.appliedSinceOpen()).as("the whole log replayed").isEqualTo(BEFORE);
            assertThat(replica.origin()).startsWith("full replay").contains("tombstone window");
        }
    }

    @Test
    void aSnapshotWhoseFilesAreDamagedIsRefusedAndTheWholeLogReplayed() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("damaged-snapshot");
        Path root = dir.resolve("snapshots");
        SnapshotStore store = new DirectorySnapshotStore(root);
        produce(kafka, ns, 0, BEFORE, List.of());
        SnapshotManifest taken;
        try (LocalReplicas source = replicas(kafka, "source")) {
            PartitionReplica replica = caughtUp(source, ns, BEFORE);
            taken = snapshots(store, source).take(replica);
        }
        // Flip bytes in the middle of the largest table file, keeping its size.
        Path snapshotDir = root.resolve(ns.value()).resolve("0").resolve(taken.id());
        String largest = taken.files().entrySet().stream().filter(f -> f.getKey().endsWith(".sst"))
                .max(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(snapshotDir.resolve(largest),
                java.nio.file.StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap(new byte[64]), taken.files().get(largest) / 2);
        }
        try (LocalReplicas seeded = replicas(kafka, "after-damage");
             ReplicaSnapshots snapshots = snapshots(store, seeded)) {
            seeded.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(seeded, ns, BEFORE);
            assertThat(replica.origin()).startsWith("full replay").contains(taken.id());
            assertThat(replica.appliedSinceOpen()).as("the whole log replayed").isEqualTo(BEFORE);
        }
    }

    /** A snapshot the store cannot hand over whole (a file gone from it) gives way to the next older one. */
    @Test
    void aSnapshotThatFailsToLoadGivesWayToTheNextOlder() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("unloadable-snapshot");
        Path root = dir.resolve("snapshots");
        SnapshotStore store = new DirectorySnapshotStore(root);
        produce(kafka, ns, 0, BEFORE, List.of());
        SnapshotManifest older;
        SnapshotManifest newer;
        try (LocalReplicas source = replicas(kafka, "source");
             ReplicaSnapshots snapshots = snapshots(store, source)) {
            older = snapshots.take(caughtUp(source, ns, BEFORE));
            produce(kafka, ns, BEFORE, TAIL, List.of());
            newer = snapshots.take(caughtUp(source, ns, BEFORE + TAIL));
        }
        assertThat(newer.position()).isGreaterThan(older.position());
        String sst = newer.files().keySet().stream().filter(name -> name.endsWith(".sst")).findFirst().orElseThrow();
        java.nio.file.Files.delete(root.resolve(ns.value()).resolve("0").resolve(newer.id()).resolve(sst));

        try (LocalReplicas seeded = replicas(kafka, "seeded-from-older");
             ReplicaSnapshots snapshots = snapshots(store, seeded)) {
            seeded.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(seeded, ns, BEFORE + TAIL);
            assertThat(replica.origin()).startsWith("snapshot").contains(older.id());
            assertThat(replica.resumedFrom()).isEqualTo(older.position());
        }
    }

    /**
     * A store that could resume but is far behind a newer snapshot (a node that was down for long) is replaced
     * by the snapshot and replays only the tail after it, ending equal to a full replay; a store within
     * {@code reseed-behind-records} of the newest snapshot resumes and replays its own tail.
     */
    @Test
    void aStoreFarBehindANewerSnapshotIsReplacedByItAndOnlyTheTailReplayed() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("far-behind");
        SnapshotStore store = new DirectorySnapshotStore(dir.resolve("snapshots"));
        produce(kafka, ns, 0, 1_000, List.of());
        for (String name : List.of("behind", "close-behind")) {
            try (LocalReplicas stopped = replicas(kafka, name)) {
                caughtUp(stopped, ns, 1_000);
            }
        }
        produce(kafka, ns, 1_000, BEFORE, List.of(7));
        SnapshotManifest taken;
        try (LocalReplicas source = replicas(kafka, "source")) {
            PartitionReplica replica = caughtUp(source, ns, 1_000 + BEFORE + 1);
            taken = snapshots(store, source).take(replica);
        }
        produce(kafka, ns, 0, TAIL, List.of(8));
        long end = 1_000 + BEFORE + 1 + TAIL + 1;
        ReplicaDigest full;
        try (LocalReplicas replayed = replicas(kafka, "full-replay")) {
            PartitionReplica replica = caughtUp(replayed, ns, end);
            full = replayed.digestAt(ns, 0, replica.appliedPosition(), Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
        }

        try (LocalReplicas reopened = replicas(kafka, "behind");
             ReplicaSnapshots snapshots = new ReplicaSnapshots(store, reopened, Set::of, settings(Duration.ofHours(20), 2_000),
                     new SimpleMeterRegistry(), System::currentTimeMillis)) {
            reopened.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(reopened, ns, end);
            assertThat(replica.origin()).startsWith("snapshot").contains(taken.id()).contains("ahead of the store at");
            assertThat(replica.resumedFrom()).isEqualTo(taken.position());
            assertThat(replica.appliedSinceOpen()).as("only the tail after the snapshot replayed").isEqualTo(TAIL + 1);
            assertThat(reopened.digestAt(ns, 0, full.position(), Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS)).isEqualTo(full);
            assertThat(dir.resolve("behind").resolve("replicas")).isDirectoryNotContaining("glob:**.seed");
        }
        try (LocalReplicas reopened = replicas(kafka, "close-behind");
             ReplicaSnapshots snapshots = new ReplicaSnapshots(store, reopened, Set::of, settings(Duration.ofHours(20), 100_000),
                     new SimpleMeterRegistry(), System::currentTimeMillis)) {
            reopened.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(reopened, ns, end);
            assertThat(replica.origin()).startsWith("resumed at");
            assertThat(replica.appliedSinceOpen()).as("its own tail replayed").isEqualTo(end - 1_000);
            assertThat(reopened.digestAt(ns, 0, full.position(), Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS)).isEqualTo(full);
        }
    }

    /**
     * A namespace deleted and created again has a truth topic of the same name whose log starts again at 0. A
     * snapshot of the deleted one (here at a position beyond the new log's end) must not seed a replica of the
     * new one: the replica replays the new log from its start, and the deleted namespace's keys stay gone.
     */
    @Test
    void aSnapshotOfANamespaceDeletedAndCreatedAgainIsRefusedAndTheNewLogReplayed() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("recreated");
        SnapshotStore store = new DirectorySnapshotStore(dir.resolve("snapshots"));
        produce(kafka, ns, 0, BEFORE, List.of());
        SnapshotManifest taken;
        try (LocalReplicas source = replicas(kafka, "source");
             ReplicaSnapshots snapshots = snapshots(store, source)) {
            taken = snapshots.take(caughtUp(source, ns, BEFORE));
        }
        deleteTruthTopic(kafka, ns);
        int written = TAIL; // fewer records than the snapshot's position, under other keys
        produce(kafka, ns, BEFORE, written, List.of());

        try (LocalReplicas seeded = replicas(kafka, "after-recreation");
             ReplicaSnapshots snapshots = snapshots(store, seeded)) {
            seeded.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(seeded, ns, written);
            assertThat(replica.origin()).startsWith("full replay").contains(taken.id()).contains("another topic");
            assertThat(replica.resumedFrom()).isZero();
            assertThat(replica.appliedSinceOpen()).as("the new log replayed from its start").isEqualTo(written);
            assertThat(replica.read(key(0))).as("a key of the deleted namespace").isNull();
            assertThat(replica.read(key(BEFORE))).as("a key of the new namespace").isNotNull();
        }
    }

    /**
     * A node that stopped in the middle of seeding a replica (an older node copied straight into the store's
     * directory: the current-file pointer and manifest there, a table file missing; a newer one leaves a seed
     * directory beside it) opens that replica when it starts again, and the replica ends equal to a full replay.
     */
    @Test
    void aStoreLeftHalfSeededByAStoppedNodeOpensAndEqualsAFullReplay() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("half-seeded");
        Path root = dir.resolve("snapshots");
        SnapshotStore store = new DirectorySnapshotStore(root);
        produce(kafka, ns, 0, BEFORE, List.of());
        SnapshotManifest taken;
        try (LocalReplicas source = replicas(kafka, "source");
             ReplicaSnapshots snapshots = snapshots(store, source)) {
            taken = snapshots.take(caughtUp(source, ns, BEFORE));
        }
        produce(kafka, ns, BEFORE - 200, TAIL, List.of(1, 2));
        long end = BEFORE + TAIL + 2;
        ReplicaDigest full;
        try (LocalReplicas replayed = replicas(kafka, "full-replay")) {
            PartitionReplica replica = caughtUp(replayed, ns, end);
            full = replayed.digestAt(ns, 0, replica.appliedPosition(), Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
        }
        Path snapshotDir = root.resolve(ns.value()).resolve("0").resolve(taken.id());
        Path storeDir = dir.resolve("stopped").resolve("replicas").resolve(ns.truthTopic() + "-0");
        String missing = taken.files().keySet().stream().filter(name -> name.endsWith(".sst")).findFirst().orElseThrow();
        copyExcept(snapshotDir, storeDir, missing);
        copyExcept(snapshotDir, storeDir.resolveSibling(storeDir.getFileName() + ".seed"), missing);

        try (LocalReplicas reopened = replicas(kafka, "stopped");
             ReplicaSnapshots snapshots = snapshots(store, reopened)) {
            reopened.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(reopened, ns, end);
            assertThat(replica.origin()).startsWith("snapshot").contains(taken.id());
            assertThat(reopened.digestAt(ns, 0, full.position(), Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS)).isEqualTo(full);
            assertThat(dir.resolve("stopped").resolve("replicas")).isDirectoryNotContaining("glob:**.seed");
        }
    }

    /** Copies the files of a snapshot, but {@code missing} and its manifest, into {@code target}. */
    private static void copyExcept(Path snapshotDir, Path target, String missing) throws java.io.IOException {
        java.nio.file.Files.createDirectories(target);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(snapshotDir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (!name.equals(missing) && !name.equals(SnapshotManifest.FILE_NAME)) {
                    java.nio.file.Files.copy(file, target.resolve(name));
                }
            }
        }
    }

    /** Deletes a namespace's truth topic and waits until Kafka no longer lists it. */
    private static void deleteTruthTopic(KafkaTestCluster kafka, NamespaceName ns) throws Exception {
        kafka.admin().deleteTopics(List.of(ns.truthTopic())).all().get(30, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .until(() -> !kafka.admin().listTopics().names().get(10, TimeUnit.SECONDS).contains(ns.truthTopic()));
    }

    private void roundTrip(SnapshotStore store) throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        NamespaceName ns = namespace("seeded");
        produce(kafka, ns, 0, BEFORE, List.of());
        SnapshotManifest taken;
        try (LocalReplicas source = replicas(kafka, "source")) {
            PartitionReplica replica = caughtUp(source, ns, BEFORE);
            // A checkpoint a node stopped while it assembled it: deleted when snapshots start, the rest of the directory kept.
            Path left = java.nio.file.Files.createDirectories(dir.resolve("work").resolve("snapshot-left-by-a-stopped-node"));
            java.nio.file.Files.writeString(left.resolve("000001.sst"), "half a checkpoint");
            Path other = java.nio.file.Files.writeString(dir.resolve("work").resolve("not-a-checkpoint"), "kept");
            ReplicaSnapshots snapshots = snapshots(store, source);
            snapshots.start();
            assertThat(left).doesNotExist();
            assertThat(other).exists();
            taken = snapshots.take(replica);
            assertThat(taken.position()).isGreaterThanOrEqualTo(BEFORE);
            assertThat(store.list(ns, 0)).containsExactly(taken);
        }
        // The tail: new keys, rewrites and deletes of keys the snapshot holds, and expiry tombstones.
        List<Integer> deleted = List.of(1, 2, 3, 500, 2_999);
        produce(kafka, ns, BEFORE - 200, TAIL, deleted);
        long tailRecords = TAIL + deleted.size();

        ReplicaDigest full;
        try (LocalReplicas replayed = replicas(kafka, "full-replay")) {
            PartitionReplica replica = caughtUp(replayed, ns, BEFORE + tailRecords);
            assertThat(replica.origin()).contains("full replay");
            full = replayed.digestAt(ns, 0, replica.appliedPosition(), Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
        }
        try (LocalReplicas seeded = replicas(kafka, "seeded");
             ReplicaSnapshots snapshots = snapshots(store, seeded)) {
            seeded.seedFrom(snapshots);
            PartitionReplica replica = caughtUp(seeded, ns, BEFORE + tailRecords);
            assertThat(replica.origin()).startsWith("snapshot").contains(taken.id());
            assertThat(replica.resumedFrom()).isEqualTo(taken.position());
            assertThat(replica.appliedSinceOpen()).as("only the tail replayed").isEqualTo(tailRecords);
            ReplicaDigest fromSnapshot = seeded.digestAt(ns, 0, full.position(), Duration.ofSeconds(10)).get(30, TimeUnit.SECONDS);
            assertThat(fromSnapshot).isEqualTo(full);
            for (int key : deleted) {
                assertThat(replica.read(key(key))).as("key %d, deleted after the snapshot", key).isNull();
            }
            assertThat(replica.expiriesDue(Long.MAX_VALUE, 10_000)).as("expiry index entries of deleted keys dropped")
                    .noneMatch(entry -> new String(entry.key(), StandardCharsets.UTF_8).equals(new String(key(500), StandardCharsets.UTF_8)));
        }
    }

    /** Snapshots of {@code replicas} in {@code store}, with a maximum age of 20 h, on the system clock. */
    private ReplicaSnapshots snapshots(SnapshotStore store, LocalReplicas replicas) {
        return new ReplicaSnapshots(store, replicas, Set::of, settings(Duration.ofHours(20)), new SimpleMeterRegistry(),
                System::currentTimeMillis);
    }

    private SnapshotSettings settings(Duration maxAge) {
        return settings(maxAge, 0);
    }

    private SnapshotSettings settings(Duration maxAge, long reseedBehindRecords) {
        return new SnapshotSettings(Duration.ZERO, 2, maxAge, dir.resolve("work"), reseedBehindRecords);
    }

    private LocalReplicas replicas(KafkaTestCluster kafka, String name) {
        return new LocalReplicas(new ReplicaSettings(kafka.bootstrapServers(), "snapshot-" + name, dir.resolve(name),
                16 << 20, 8 << 20, 64 << 10, 2_000, 100, Duration.ofHours(20)), new SimpleMeterRegistry());
    }

    /** Replicates the namespace's one partition and waits until the replica holds {@code records} log records. */
    private static PartitionReplica caughtUp(LocalReplicas replicas, NamespaceName ns, long records) throws Exception {
        replicas.replicate(ns, 1).get(30, TimeUnit.SECONDS);
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            PartitionReplica replica = replicas.replica(ns, 0);
            return replica != null && replica.appliedPosition() >= records && replica.lagRecords() == 0;
        });
        return replicas.replica(ns, 0);
    }

    /**
     * Writes keys {@code from .. from+count-1} (each with an expiry an hour away), then a tombstone for each
     * of {@code deleted} (expiry tombstones, naming the expiry they reclaim), in one transaction per 1,000.
     */
    private static void produce(KafkaTestCluster kafka, NamespaceName ns, int from, int count, List<Integer> deleted) {
        new TruthTopics(kafka.admin(), new TruthTopicRequirements(3, 2, 2_000_000), Duration.ofSeconds(30)).ensure(ns.truthTopic(), 1);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "snapshot-loader-" + ns);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            records.add(new ProducerRecord<>(ns.truthTopic(), 0, key(i),
                    new RecordEnvelope(new Version(System.nanoTime(), 1), expiry(i), "text/plain",
                            ("value " + i + " " + from).getBytes(StandardCharsets.UTF_8)).encode()));
        }
        for (int i : deleted) {
            records.add(new ProducerRecord<>(ns.truthTopic(), 0, key(i), null, List.of(
                    Tombstones.versionHeader(new Version(System.nanoTime(), 1)),
                    new RecordHeader(Tombstones.EXPIRED_AT_HEADER, java.nio.ByteBuffer.allocate(8).putLong(expiry(i)).array()))));
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (int start = 0; start < records.size(); start += 1_000) {
                producer.beginTransaction();
                records.subList(start, Math.min(records.size(), start + 1_000)).forEach(producer::send);
                producer.commitTransaction();
            }
        }
    }

    private static long expiry(int key) {
        return 4_000_000_000_000L + key;
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static NamespaceName namespace(String prefix) {
        return new NamespaceName(prefix + "-" + Long.toString(System.nanoTime(), 36));
    }
}
