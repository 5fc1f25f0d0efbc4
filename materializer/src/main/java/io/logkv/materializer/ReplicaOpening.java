package io.logkv.materializer;

import io.logkv.core.NodeTime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a replica opens: resuming its store, wiped when too old to resume or when its files are missing or corrupt,
 * or, when snapshots are configured, seeded first ({@link ReplicaSeeding}) and opened on the applier's polling thread
 * once its seed is in place. A seed is loaded beside the store and renamed into place only once it is complete and
 * checked, so a node stopped in the middle of a seed finds no half store. Runs on the applier's polling thread, in
 * commands.
 */
final class ReplicaOpening {

    private static final Logger log = LoggerFactory.getLogger(ReplicaOpening.class);

    private final ReplicaSettings settings;
    private final HeldReplicas held;
    private final ReplicaSeeding seeding;
    private final Consumer<Runnable> onApplier;
    private final NodeTime time;

    /**
     * @param onApplier runs a command on the applier's polling thread, unless the replicas are closed
     * @param time      whose {@link NodeTime#nowMs()} a store's age is judged against
     */
    ReplicaOpening(ReplicaSettings settings, HeldReplicas held, ReplicaSeeding seeding, Consumer<Runnable> onApplier,
                   NodeTime time) {
        this.settings = settings;
        this.held = held;
        this.seeding = seeding;
        this.onApplier = onApplier;
        this.time = time;
    }

    /** Whether this node should open a replica of {@code tp}: it holds none, and none is being seeded. */
    boolean missing(TopicPartition tp) {
        return !held.holds(tp) && !seeding.inProgress(tp);
    }

    /**
     * Opens this node's replica of a partition, resuming its store; or, when the replica has to start from
     * nothing and seeds are configured, starts seeding its store and returns null (the replica opens, and
     * joins the applying, when seeding is done). A seed directory left by a node that stopped while seeding is
     * removed; a store whose files are missing or corrupt is wiped, and the replica starts from nothing.
     */
    PartitionReplica open(TopicPartition tp) {
        Path directory = held.storeDirectory(tp);
        // A seed is never in place before it is complete: what a stop in the middle leaves is only this directory.
        PartitionStore.deleteRecursively(seedDirectory(directory));
        String origin = "new here";
        if (Files.exists(directory)) {
            PartitionStore store = openToResume(tp, directory);
            long idleMs = store == null ? 0 : time.nowMs() - store.persistedAppliedAtMs();
            if (store == null) {
                origin = "store with missing or corrupt files wiped";
            } else if (store.persistedPosition() > 0 && idleMs > settings.maxResumeAge().toMillis()) {
                // Compaction may have removed tombstones of keys this store still holds: start again.
                log.warn("event=replica_too_old_wiped partition={} idle_hours={} resume_position={}", tp, idleMs / 3_600_000,
                        store.persistedPosition());
                store.destroy();
                origin = "too old to resume (" + idleMs / 3_600_000 + " h idle)";
            } else if (store.persistedPosition() > 0 && seeding.reseedsStoresBehind()) {
                // A newer snapshot far enough ahead beats replaying the tail; the store stays until one is in place.
                long position = store.persistedPosition();
                store.close();
                seedBeside(tp, position, replica -> { });
                return null;
            } else {
                return held.register(tp, store, store.persistedPosition() > 0 ? "resumed at " + store.persistedPosition() : "new here");
            }
        }
        if (seeding.configured()) {
            startSeeding(tp, replica -> { });
            return null;
        }
        return held.openStore(tp, origin + ": full replay");
    }

    /**
     * The store in {@code directory}, opened; or null when its files are missing or corrupt (a copy cut short, a
     * disk fault), after wiping it: the store derives from the log, so such a store costs a replay, not the node.
     */
    private PartitionStore openToResume(TopicPartition tp, Path directory) {
        try {
            return PartitionStore.open(directory, held.resources(), time);
        } catch (StoreDamagedException e) {
            log.warn("event=replica_store_damaged_wiped partition={} error=\"{}\"", tp, e.getMessage());
            PartitionStore.deleteRecursively(directory);
            return null;
        }
    }

    /**
     * Seeds a partition's (absent) store beside it ({@link #seedBeside}), then, on the applier's polling thread, opens
     * the replica from the seed, or from nothing (a full replay), and starts applying the log after it. A partition
     * released meanwhile is not opened, and its seed is deleted.
     */
    void startSeeding(TopicPartition tp, Consumer<PartitionReplica> opened) {
        seedBeside(tp, 0, opened);
    }

    /**
     * Seeds the store of a partition in a directory beside it, and, on the applier's polling thread, puts the seed in
     * place of the store (one atomic rename) once it is complete and checked, then opens the replica and starts
     * applying the log after it. Without a seed, a store at {@code position} resumes where it was, and an absent one
     * (position 0) replays the whole log. So the store's directory never holds half a seed, whenever the node stops.
     * A partition released meanwhile is not opened, and its seed and store are deleted.
     *
     * @param position 0 when the store is absent; otherwise the position of the store, which a seed must be far
     *                 enough ahead of
     */
    private void seedBeside(TopicPartition tp, long position, Consumer<PartitionReplica> opened) {
        Path directory = held.storeDirectory(tp);
        Path seedDirectory = seedDirectory(directory);
        PartitionStore.deleteRecursively(seedDirectory);
        seeding.start(tp, seedDirectory, position, result -> onApplier.accept(() -> {
            if (held.holds(tp)) {
                PartitionStore.deleteRecursively(seedDirectory);
                return;
            }
            if (!seeding.finish(tp)) {
                // Released while it was being seeded: gone, as a released replica's store is.
                PartitionStore.deleteRecursively(seedDirectory);
                PartitionStore.deleteRecursively(directory);
                return;
            }
            String origin = result.seeded() ? putInPlace(tp, seedDirectory, directory, position, result)
                    : position > 0 ? resumeWithoutSeed(tp, directory) : "full replay: " + result.detail();
            PartitionReplica replica = held.openStore(tp, origin);
            held.assignAdded(List.of(tp));
            opened.accept(replica);
        }));
    }

    /**
     * The origin of a store that no seed replaced, judged again now: it resumes, unless it aged past the maximum
     * resume age while its seed was sought (seeds wait their turn, and a download may take hours), when it is wiped and
     * the whole log replayed, as at opening: from its position the log may have lost tombstones of keys it holds.
     */
    String resumeWithoutSeed(TopicPartition tp, Path directory) {
        PartitionStore store = openToResume(tp, directory);
        if (store == null) {
            return "store with missing or corrupt files wiped: full replay";
        }
        long position = store.persistedPosition();
        long idleMs = time.nowMs() - store.persistedAppliedAtMs();
        if (position > 0 && idleMs > settings.maxResumeAge().toMillis()) {
            log.warn("event=replica_too_old_wiped partition={} idle_hours={} resume_position={} after=seeding", tp, idleMs / 3_600_000,
                    position);
            store.destroy();
            return "too old to resume once no seed came (" + idleMs / 3_600_000 + " h idle): full replay";
        }
        store.close();
        return "resumed at " + position;
    }

    /** Replaces the store (if any) by a complete, checked seed; returns the replica's origin. */
    private static String putInPlace(TopicPartition tp, Path seedDirectory, Path directory, long position, ReplicaSeeds.Seeding seed) {
        try {
            PartitionStore.deleteRecursively(directory);
            Files.move(seedDirectory, directory, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // Any old store is gone: the replica replays the whole log, which is slow but right.
            log.warn("event=replica_seed_not_in_place partition={} error=\"{}\"", tp, e.getMessage());
            PartitionStore.deleteRecursively(seedDirectory);
            PartitionStore.deleteRecursively(directory);
            return "full replay: a seed could not replace the store (" + e.getMessage() + ")";
        }
        if (position == 0) {
            return "snapshot: " + seed.detail();
        }
        log.info("event=replica_reseeded partition={} from_position={} to_position={}", tp, position, seed.position());
        return "snapshot, " + (seed.position() - position) + " records ahead of the store at " + position + ": " + seed.detail();
    }

    /** Where the store at {@code storeDirectory} is seeded before the seed takes its place. */
    private static Path seedDirectory(Path storeDirectory) {
        return storeDirectory.resolveSibling(storeDirectory.getFileName() + ".seed");
    }
}
