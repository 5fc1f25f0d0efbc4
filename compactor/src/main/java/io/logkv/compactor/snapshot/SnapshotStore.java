package io.logkv.compactor.snapshot;

import io.logkv.core.NamespaceName;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Where snapshots of replicas are kept: a directory (a shared volume in production) or an S3-compatible
 * object store. A snapshot becomes visible only once all its files are stored (its manifest is written
 * last), so a reader never sees half of one.
 */
public interface SnapshotStore {

    /** Stores the files of {@code directory} as the snapshot {@code manifest} describes. */
    void save(SnapshotManifest manifest, Path directory);

    /** The complete snapshots of a partition, newest position first. */
    List<SnapshotManifest> list(NamespaceName namespace, int partition);

    /** Copies a snapshot's files into {@code target} (created if absent). */
    void load(SnapshotManifest manifest, Path target);

    /** Removes a snapshot (its manifest first, so that it stops being listed before its files go). */
    void delete(SnapshotManifest manifest);

    /**
     * Deletes what saves and deletions that never finished left of a partition's snapshots: files of no manifest (a
     * node stopped while it stored or deleted a snapshot), last changed before {@code before}, so that a save still
     * under way on another node, whose files are recent, is left alone. Complete snapshots are never touched.
     *
     * @return the snapshots' worth of files deleted
     */
    int deleteAbandoned(NamespaceName namespace, int partition, Instant before);

    /** Where this store is, for logs: a path or a bucket. */
    String location();
}
