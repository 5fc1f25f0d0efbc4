package io.logkv.query.rebuild;

import io.logkv.compactor.snapshot.ReplicaSnapshots;
import java.util.Optional;

/** This node's snapshots of replicas, when a snapshot store is configured ({@code logkv.snapshots.store}). */
public final class NodeSnapshots implements AutoCloseable {

    private final ReplicaSnapshots snapshots;

    public NodeSnapshots(ReplicaSnapshots snapshots) {
        this.snapshots = snapshots;
    }

    /** The snapshots, or empty when the node has no snapshot store. */
    public Optional<ReplicaSnapshots> snapshots() {
        return Optional.ofNullable(snapshots);
    }

    @Override
    public void close() {
        if (snapshots != null) {
            snapshots.close();
        }
    }
}
