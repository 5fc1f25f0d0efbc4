package io.logkv.materializer;

import io.logkv.core.NamespaceName;
import java.nio.file.Path;

/**
 * Where a replica that starts from nothing (new to this node, wiped, too old to resume, or rebuilt from a
 * snapshot), or whose store is far behind, can get its contents without replaying the log it lacks: a copy
 * of the partition's replica as of some position, after which it replays only the tail. Implemented by the
 * snapshots of the compactor.
 */
public interface ReplicaSeeds {

    /** No seeds: every such replica replays the whole log. */
    ReplicaSeeds NONE = (namespace, partition, storeDirectory, resumePosition) -> Seeding.notSeeded("no snapshot store is configured");

    /**
     * Fills {@code storeDirectory} (absent or empty) with a replica store of the partition, or leaves it
     * empty and says why not. Runs on its own thread; may take as long as a download takes. The directory is
     * beside the replica's store, which it replaces only once this returns a seed: a stop in the middle
     * leaves no half store behind.
     *
     * @param resumePosition 0 for a replica that starts from nothing; otherwise the position of the store
     *                       this node already has, which a seed must be far enough ahead of to be worth it
     */
    Seeding seed(NamespaceName namespace, int partition, Path storeDirectory, long resumePosition);

    /** Whether stores that can resume are offered seeds when these are far enough ahead of them. */
    default boolean reseedsStoresBehind() {
        return false;
    }

    /**
     * What seeding did.
     *
     * @param seeded   whether the directory now holds a store
     * @param position the log position that store has applied (0 when not seeded)
     * @param detail   where it came from, or why there was none (for logs and the admin listing)
     */
    record Seeding(boolean seeded, long position, String detail) {

        public static Seeding notSeeded(String why) {
            return new Seeding(false, 0, why);
        }
    }
}
