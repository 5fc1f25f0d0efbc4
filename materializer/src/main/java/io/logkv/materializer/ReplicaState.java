package io.logkv.materializer;

import io.logkv.core.Lifecycle;

/**
 * Where a replica stands ({@link PartitionReplica}).
 *
 * <pre>
 *   REPLAYING ──► SERVING
 *       │            │
 *       └──► CLOSED ◄┘
 * </pre>
 *
 * REPLAYING: opened, and not yet at the log's end as it was when it opened (a rebuild, a new placement); it
 * answers only reads that name a position. SERVING: it has reached that end (or was seen caught up), so it is
 * a fair answer for eventual reads too; it never goes back. CLOSED: released, rebuilt or stopped; its store
 * is closed and every read of it fails.
 */
enum ReplicaState implements Lifecycle.State<ReplicaState> {
    REPLAYING, SERVING, CLOSED;

    @Override
    public boolean mayBecome(ReplicaState next) {
        return switch (this) {
            case REPLAYING -> next == SERVING || next == CLOSED;
            case SERVING -> next == CLOSED;
            case CLOSED -> false;
        };
    }
}
