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
 * How a replica opens: resuming its store, wiped when too old to resume, or, when snapshots are configured,
 * seeded first ({@link ReplicaSeeding}) and opened on the applier's polling thread once its seed is in place. Runs on
 * the applier's polling thread, in commands.
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
     * joins the applying, when seeding is done).
     */
    PartitionReplica open(TopicPartition tp) {
        Path directory = held.storeDirectory(tp);
        boolean fresh = !Files.exists(directory);
        String origin = fresh ? "new here" : "resumed";
        if (!fresh) {
            PartitionStore store = PartitionStore.open(directory, held.resources(), time);
            long idleMs = time.nowMs() - store.persistedAppliedAtMs();
            if (store.persistedPosition() > 0 && idleMs > settings.maxResumeAge().toMillis()) {
                // Compaction may have removed tombstones of keys this store still holds: start again.
                log.warn("event=replica_too_old_wiped partition={} idle_hours={} resume_position={}", tp, idleMs / 3_600_000,
                        store.persistedPosition());
                store.destroy();
                fresh = true;
                origin = "too old to resume (" + idleMs / 3_600_000 + " h idle)";
            } else if (store.persistedPosition() > 0 && seeding.reseedsStoresBehind()) {
                // A newer snapshot far enough ahead beats replaying the tail; the store stays until one is in place.
                long position = store.persistedPosition();
                store.close();
                startReseeding(tp, position);
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
     * Seeds a partition's (absent) store, then, on the applier's polling thread, opens the replica from whatever the
     * directory holds (the seed, or nothing: a full replay) and starts applying the log after it. A
     * partition released meanwhile is not opened, and its seed is deleted.
     */
    void startSeeding(TopicPartition tp, Consumer<PartitionReplica> opened) {
        Path directory = held.storeDirectory(tp);
        seeding.start(tp, directory, 0, result -> {
            String origin = result.seeded() ? "snapshot: " + result.detail() : "full replay: " + result.detail();
            onApplier.accept(() -> {
                if (held.holds(tp)) {
                    return;
                }
                if (!seeding.finish(tp)) {
                    PartitionStore.deleteRecursively(directory); // released while it was being seeded
                    return;
                }
                PartitionReplica replica = held.openStore(tp, origin);
                held.assignAdded(List.of(tp));
                opened.accept(replica);
            });
        });
    }

    /**
     * Offers the store of a partition, at {@code position}, a seed far enough ahead of it. The seed goes to a
     * directory beside the store and replaces it only once it is complete and checked; without one the store
     * resumes where it was. Either way the replica opens on the applier's polling thread.
     */
    private void startReseeding(TopicPartition tp, long position) {
        Path directory = held.storeDirectory(tp);
        Path seedDirectory = directory.resolveSibling(directory.getFileName() + ".seed");
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
            String origin = "resumed at " + position;
            if (result.seeded()) {
                try {
                    PartitionStore.deleteRecursively(directory);
                    Files.move(seedDirectory, directory, StandardCopyOption.ATOMIC_MOVE);
                    origin = "snapshot, " + (result.position() - position) + " records ahead of the store at " + position + ": "
                            + result.detail();
                    log.info("event=replica_reseeded partition={} from_position={} to_position={}", tp, position, result.position());
                } catch (IOException e) {
                    // The old store is gone: the replica replays the whole log, which is slow but right.
                    log.warn("event=replica_reseed_failed partition={} error=\"{}\"", tp, e.getMessage());
                    PartitionStore.deleteRecursively(seedDirectory);
                    PartitionStore.deleteRecursively(directory);
                    origin = "full replay: a seed could not replace the store (" + e.getMessage() + ")";
                }
            }
            held.openStore(tp, origin);
            held.assignAdded(List.of(tp));
        }));
    }
}
