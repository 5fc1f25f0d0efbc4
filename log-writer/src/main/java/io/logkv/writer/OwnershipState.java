package io.logkv.writer;

import io.logkv.core.Lifecycle;

/**
 * Where this node's ownership of one truth partition stands ({@link PartitionWriter}).
 *
 * <pre>
 *   FENCING ──► CATCHING_UP ──► WRITING ──► CLOSED
 *      ▲             ▲             │
 *      │             └─────────────┤  the log moved under the writer: catch up again, without fencing
 *      └───────────────────────────┘  the producer failed: fence and catch up again
 *   (every state may close; closing a closed writer again changes nothing)
 * </pre>
 *
 * FENCING takes the partition's transactional id, which aborts or completes an earlier owner's open
 * transaction and makes every later send of it fail. CATCHING_UP waits until this node's replica has
 * applied the partition's end, so conditions are checked against every acknowledged write. WRITING checks
 * conditions and commits. CLOSED answers every waiting write {@link NotOwnerException}.
 */
enum OwnershipState implements Lifecycle.State<OwnershipState> {
    FENCING, CATCHING_UP, WRITING, CLOSED;

    @Override
    public boolean mayBecome(OwnershipState next) {
        return switch (this) {
            case FENCING -> next == CATCHING_UP || next == CLOSED;
            case CATCHING_UP -> next == WRITING || next == CLOSED;
            case WRITING -> next == FENCING || next == CATCHING_UP || next == CLOSED;
            case CLOSED -> next == CLOSED;
        };
    }
}
