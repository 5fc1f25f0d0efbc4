package io.logkv.compactor.snapshot;

import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.PartitionStore;
import io.logkv.materializer.ReplicaSeeds;
import io.logkv.materializer.ReplicaUnavailableException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots of replicas, taken and used.
 *
 * <p>Taken: every {@code interval}, the owner of each partition checkpoints its replica (RocksDB's
 * checkpoint: a consistent prefix of the applied batches, with the position they lead to), reads the
 * copy's position and digest back from the copy itself, and stores it with its manifest; the newest
 * {@code retain} per partition are kept.
 *
 * <p>Used: a replica that starts from nothing is seeded from the newest snapshot that is usable, and
 * replays only the log after its position. Usable means: a format this node knows; of the partition's log as
 * it is now (taken from the truth topic with its present id, not from one of the same name deleted since, and at a
 * position not beyond the log's end: a namespace deleted and created again starts a new log at 0); taken no longer ago
 * than {@code max-age} (the replicas' maximum resume age, below the truth topics' tombstone retention:
 * from an older position the log may have compacted away tombstones the copy never saw, and replaying past
 * them would bring deleted keys back); and a copy that, once loaded, has the manifest's files and sizes,
 * intact blocks and position. Otherwise the next older snapshot is tried, and at the end the replica replays the
 * whole log, with the reason in its origin and the node's log.
 */
public final class ReplicaSnapshots implements ReplicaSeeds, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaSnapshots.class);
    /**
     * How long files of no manifest in the store stay untouched before they count as left by a node stopped while it
     * stored or deleted a snapshot: far longer than storing one takes, so that a save under way elsewhere is never taken
     * for one.
     */
    static final Duration ABANDONED_AFTER = Duration.ofHours(24);
    /** The names of checkpoints being assembled in the work directory. */
    private static final String WORK_PREFIX = "snapshot-";

    private final SnapshotStore store;
    private final LocalReplicas replicas;
    private final Supplier<Set<TopicPartition>> owned;
    private final SnapshotSettings settings;
    private final LongSupplier clock;
    private final Counter taken;
    private final Counter seeded;
    private final Counter refused;
    private final ScheduledExecutorService scheduler;
    private final TruthLogs logs;

    /**
     * @param owned the truth partitions this node owns (the partition owner's): only their replicas are
     *              snapshotted on schedule, so each partition is snapshotted by one node
     */
    public ReplicaSnapshots(SnapshotStore store, LocalReplicas replicas, Supplier<Set<TopicPartition>> owned, SnapshotSettings settings,
                            MeterRegistry meters, LongSupplier clock) {
        this.store = store;
        this.replicas = replicas;
        this.owned = owned;
        this.settings = settings;
        this.clock = clock;
        this.logs = new TruthLogs(replicas.kafka());
        this.taken = Counter.builder("logkv.snapshots.taken").description("Replica snapshots stored by this node").register(meters);
        this.seeded = Counter.builder("logkv.snapshots.seeded")
                .description("Replicas this node seeded from a snapshot (replaying only the log after it)").register(meters);
        this.refused = Counter.builder("logkv.snapshots.refused")
                .description("Snapshots found but not used to seed a replica (of another log, too old, unknown format, digest mismatch)")
                .register(meters);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("logkv-snapshots"));
    }

    /**
     * Starts taking snapshots every {@code interval} (none when it is zero), once the checkpoints a stopped node left
     * half assembled in its work directory are deleted (the directory is this node's own).
     */
    public void start() {
        deleteLeftWork();
        long interval = settings.interval().toMillis();
        if (interval > 0) {
            scheduler.scheduleWithFixedDelay(this::takeDue, interval, interval, TimeUnit.MILLISECONDS);
        }
        log.info("event=snapshots_configured store=\"{}\" interval={} retain={} max_age={}", store.location(), settings.interval(),
                settings.retain(), settings.maxAge());
    }

    private void takeDue() {
        try {
            takeOwned(null);
        } catch (RuntimeException e) {
            log.warn("event=snapshots_failed error=\"{}\"", e.toString());
        }
    }

    /**
     * Snapshots the replicas of the partitions this node owns (of one namespace, or all when null) whose
     * position moved since their newest snapshot of the partition's log now; returns the snapshots stored.
     */
    public synchronized List<SnapshotManifest> takeOwned(NamespaceName only) {
        List<SnapshotManifest> stored = new ArrayList<>();
        List<TopicPartition> partitions = new ArrayList<>(owned.get());
        partitions.sort(Comparator.comparing(TopicPartition::toString));
        for (TopicPartition tp : partitions) {
            NamespaceName namespace = NamespaceName.ofTopic(tp.topic());
            if (namespace == null || (only != null && !only.equals(namespace))) {
                continue;
            }
            PartitionReplica replica = replicas.replica(namespace, tp.partition());
            if (replica == null || !replica.serving() || replica.appliedPosition() == 0) {
                continue; // nothing to copy yet
            }
            TruthLogs.TruthLog truth;
            try {
                truth = logs.of(tp);
            } catch (IllegalStateException e) {
                // Kafka did not say what the log is now: this partition waits for the next round, the others go on.
                log.warn("event=snapshot_not_taken partition={} error=\"{}\"", tp, e.getMessage());
                continue;
            }
            // Snapshots of a topic deleted since under the same name, however far ahead, say nothing of this log.
            SnapshotManifest newest = store.list(namespace, tp.partition()).stream().filter(s -> truth.notOf(s) == null).findFirst()
                    .orElse(null);
            if (newest != null && newest.position() >= replica.appliedPosition()) {
                continue;
            }
            try {
                stored.add(take(replica));
            } catch (ReplicaUnavailableException e) {
                // Closed meanwhile (the partition moved): nothing to snapshot here.
            } catch (IllegalStateException e) {
                log.warn("event=snapshot_not_taken partition={} error=\"{}\"", tp, e.getMessage());
            }
        }
        return stored;
    }

    /** {@link #takeOwned} on the snapshot thread (a request must not wait on its own thread for copies to be stored). */
    public java.util.concurrent.CompletableFuture<List<SnapshotManifest>> takeOwnedSoon(NamespaceName only) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> takeOwned(only), scheduler);
    }

    private void deleteLeftWork() {
        if (!Files.isDirectory(settings.workDirectory())) {
            return;
        }
        try (java.util.stream.Stream<Path> children = Files.list(settings.workDirectory())) {
            for (Path left : children.filter(child -> child.getFileName().toString().startsWith(WORK_PREFIX)).toList()) {
                PartitionStore.deleteRecursively(left);
                log.info("event=snapshot_work_deleted path=\"{}\"", left);
            }
        } catch (java.io.IOException e) {
            log.warn("event=snapshot_work_not_listed path=\"{}\"", settings.workDirectory(), e);
        }
    }

    /** Where snapshots are kept. */
    public String location() {
        return store.location();
    }

    /**
     * Checkpoints one replica, stores the copy with its manifest (naming the truth topic's id), and keeps only the
     * newest {@code retain} of the partition's log now; snapshots of a topic of the same name deleted since are deleted.
     *
     * @throws IllegalStateException when the copy is not of the partition's log now (a replica of a topic deleted since)
     */
    public SnapshotManifest take(PartitionReplica replica) {
        Path work = settings.workDirectory().resolve(WORK_PREFIX + UUID.randomUUID());
        try {
            Files.createDirectories(settings.workDirectory());
            long started = System.nanoTime();
            replica.checkpoint(work);
            PartitionStore.Contents contents = PartitionStore.inspect(work);
            // Asked after the checkpoint, so that the log's end is at least the copy's position if the copy is of this log.
            TruthLogs.TruthLog truth = logs.of(replica.namespace().truthPartition(replica.partition()));
            SnapshotManifest manifest = new SnapshotManifest(replica.namespace(), replica.partition(), truth.topicId(), contents.position(),
                    contents.digest(), SnapshotManifest.FORMAT_ROCKSDB_V1, clock.getAsLong(), DirectorySnapshotStore.filesOf(work));
            String notOfLog = truth.notOf(manifest);
            if (notOfLog != null) {
                throw new IllegalStateException("not stored: " + notOfLog);
            }
            store.save(manifest, work);
            taken.increment();
            long bytes = manifest.files().values().stream().mapToLong(Long::longValue).sum();
            log.info("event=snapshot_taken partition={}-{} position={} bytes={} seconds={}", replica.namespace(), replica.partition(),
                    manifest.position(), bytes, (System.nanoTime() - started) / 1e9);
            try {
                prune(replica.namespace(), replica.partition(), truth);
            } catch (RuntimeException e) {
                // The snapshot is stored: what is left is pruned at the next one.
                log.warn("event=snapshot_prune_failed partition={}-{} error=\"{}\"", replica.namespace(), replica.partition(), e.toString());
            }
            return manifest;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("could not snapshot " + replica.namespace() + "-" + replica.partition(), e);
        } finally {
            PartitionStore.deleteRecursively(work);
        }
    }

    /**
     * Deletes the snapshots of a partition that are not of its log now (they can never seed a replica again: topic
     * ids are not reused, and the log's end only grows), and all but the newest {@code retain} of the others.
     */
    private void prune(NamespaceName namespace, int partition, TruthLogs.TruthLog truth) {
        List<SnapshotManifest> ofThisLog = new ArrayList<>();
        for (SnapshotManifest snapshot : store.list(namespace, partition)) {
            String notOfLog = truth.notOf(snapshot);
            if (notOfLog == null) {
                ofThisLog.add(snapshot);
            } else {
                store.delete(snapshot);
                log.info("event=snapshot_deleted partition={}-{} reason=\"{}\"", namespace, partition, notOfLog);
            }
        }
        for (SnapshotManifest old : ofThisLog.subList(Math.min(settings.retain(), ofThisLog.size()), ofThisLog.size())) {
            store.delete(old);
        }
        int abandoned = store.deleteAbandoned(namespace, partition, Instant.ofEpochMilli(clock.getAsLong()).minus(ABANDONED_AFTER));
        if (abandoned > 0) {
            log.info("event=snapshot_abandoned_deleted partition={}-{} count={} reason=\"files of no manifest, unchanged for {}\"",
                    namespace, partition, abandoned, ABANDONED_AFTER);
        }
    }

    @Override
    public boolean reseedsStoresBehind() {
        return settings.reseedBehindRecords() > 0;
    }

    @Override
    public Seeding seed(NamespaceName namespace, int partition, Path storeDirectory, long resumePosition) {
        List<SnapshotManifest> snapshots = store.list(namespace, partition);
        if (snapshots.isEmpty()) {
            return Seeding.notSeeded("no snapshot of " + namespace + "-" + partition + " in " + store.location());
        }
        TruthLogs.TruthLog truth;
        try {
            truth = logs.of(namespace.truthPartition(partition));
        } catch (IllegalStateException e) {
            refused.increment(snapshots.size());
            return Seeding.notSeeded("no snapshot could be checked against the log now: " + e.getMessage());
        }
        List<String> reasons = new ArrayList<>();
        for (SnapshotManifest snapshot : snapshots) {
            String refusal = refusal(snapshot, resumePosition, truth);
            if (refusal == null) {
                PartitionStore.deleteRecursively(storeDirectory);
                long started = System.nanoTime();
                try {
                    store.load(snapshot, storeDirectory);
                    refusal = mismatch(snapshot, storeDirectory);
                } catch (RuntimeException e) {
                    // The store failed to hand it over (an object store's error, the snapshot pruned meanwhile): the next
                    // older one may still serve.
                    refusal = "snapshot " + snapshot.id() + " could not be loaded: " + e;
                }
                if (refusal == null) {
                    seeded.increment();
                    return new Seeding(true, snapshot.position(), "snapshot " + snapshot.id() + " at position " + snapshot.position()
                            + ", taken " + ageText(snapshot) + " ago, loaded in " + String.format("%.1f", (System.nanoTime() - started) / 1e9) + " s");
                }
                PartitionStore.deleteRecursively(storeDirectory);
            }
            refused.increment();
            reasons.add(refusal);
        }
        return Seeding.notSeeded(String.join("; ", reasons));
    }

    /**
     * What is wrong with a loaded copy, or null when it is the snapshot: every file of the manifest there
     * with its size, every block intact (RocksDB's checksums), and the position the manifest names. (The
     * content digest is not computed again: it is the manifest's, for comparing with replicas.)
     */
    private static String mismatch(SnapshotManifest snapshot, Path loaded) {
        try {
            for (var file : snapshot.files().entrySet()) {
                long size = Files.size(loaded.resolve(file.getKey()));
                if (size != file.getValue()) {
                    return "snapshot " + snapshot.id() + ": " + file.getKey() + " has " + size + " bytes, not " + file.getValue();
                }
            }
            long position = PartitionStore.verify(loaded);
            if (position != snapshot.position()) {
                return "snapshot " + snapshot.id() + " holds position " + position + ", not " + snapshot.position();
            }
            return null;
        } catch (java.io.IOException | IllegalStateException e) {
            return "snapshot " + snapshot.id() + " could not be checked after loading: " + e.getMessage();
        }
    }

    /**
     * Why a snapshot may not seed a replica of {@code truth} (the partition's log now) whose store is at
     * {@code resumePosition} (0: none), or null when it may.
     */
    private String refusal(SnapshotManifest snapshot, long resumePosition, TruthLogs.TruthLog truth) {
        if (resumePosition > 0 && (settings.reseedBehindRecords() == 0
                || snapshot.position() - resumePosition < settings.reseedBehindRecords())) {
            return "snapshot " + snapshot.id() + " at position " + snapshot.position() + " is not " + settings.reseedBehindRecords()
                    + " records ahead of the store at " + resumePosition;
        }
        if (snapshot.format() != SnapshotManifest.FORMAT_ROCKSDB_V1) {
            return "snapshot " + snapshot.id() + " has format " + snapshot.format() + ", which this node does not know";
        }
        String notOfLog = truth.notOf(snapshot);
        if (notOfLog != null) {
            return notOfLog;
        }
        long ageMs = clock.getAsLong() - snapshot.createdAtMs();
        if (ageMs > settings.maxAge().toMillis()) {
            return "snapshot " + snapshot.id() + " was taken " + ageText(snapshot) + " ago, longer than " + settings.maxAge()
                    + " (the tombstone window): the log may have dropped tombstones after its position";
        }
        return null;
    }

    private String ageText(SnapshotManifest snapshot) {
        Duration age = Duration.ofMillis(Math.max(0, clock.getAsLong() - snapshot.createdAtMs()));
        return age.toSeconds() < 120 ? age.toSeconds() + " s" : age.toMinutes() + " min";
    }

    /** The store's snapshots of a partition, newest first. */
    public List<SnapshotManifest> list(NamespaceName namespace, int partition) {
        return store.list(namespace, partition);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        logs.close();
        if (store instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("event=snapshot_store_close_failed error=\"{}\"", e.toString());
            }
        }
    }
}
