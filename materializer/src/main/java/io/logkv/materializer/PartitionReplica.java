package io.logkv.materializer;

import io.logkv.core.PositionWaits;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's replica of one truth partition: its store, the position it has applied, and how far
 * behind the log it is. Reads may come from any thread; only the applier's threads change it, one at a
 * time. Its lifecycle is a {@link ReplicaState}, kept by {@link ReplicaLifecycle}.
 */
public final class PartitionReplica {

    /** Lag, in records, beyond which the store loads in bulk (see {@link PartitionStore#bulkLoad}). */
    static final long BULK_LOAD_LAG_RECORDS = 50_000;
    /**
     * Lag, in records, at or below which a store loading in bulk goes back to normal: caught up but for what
     * arrived during the last poll. Leaving at the entry threshold instead would start compacting every
     * level-0 file the load piled up while the last 50,000 records of each partition still replay.
     */
    static final long BULK_LOAD_EXIT_LAG_RECORDS = 5_000;
    /** How long a store loading in bulk may stay between the two lags above before it goes back to normal. */
    static final long BULK_LOAD_MAX_NEAR_MS = 30_000;

    private final NamespaceName namespace;
    private final int partition;
    private final PartitionStore store;
    private final PositionWaits catchUp;
    private final PositionWaits ingestCatchUp;
    private final long resumedFrom;
    private final AtomicLong appliedSinceOpen = new AtomicLong();
    private final ReplicaLifecycle lifecycle;
    private final ReplicaLag lag = new ReplicaLag();
    private volatile String origin = "";
    /** The position of the batch being written to the store, set before its write: what a read may already see. */
    private volatile long writing;
    private long persisted;

    PartitionReplica(NamespaceName namespace, int partition, PartitionStore store, AtomicInteger nodeWaiters, int maxWaiters) {
        this.namespace = namespace;
        this.partition = partition;
        this.store = store;
        this.resumedFrom = store.persistedPosition();
        this.persisted = resumedFrom;
        this.catchUp = new PositionWaits(resumedFrom, nodeWaiters, maxWaiters, ReplicaOverloadedException::new);
        this.ingestCatchUp = new PositionWaits(store.persistedIngestPosition(), nodeWaiters, maxWaiters, ReplicaOverloadedException::new);
        this.lifecycle = new ReplicaLifecycle(namespace + "-" + partition);
    }

    public NamespaceName namespace() {
        return namespace;
    }

    public int partition() {
        return partition;
    }

    /**
     * The live values of keys that start with {@code prefix} and sort after {@code after} (null: from the
     * first), in key order, at most {@code limit}; expired values are left out. Keys the store holds but
     * whose values expired count toward nothing, so a page may be shorter than {@code limit} only at the end.
     */
    public List<ScannedValue> scan(byte[] prefix, byte[] after, int limit, long nowMs) {
        return LiveScan.page(store, prefix, after, limit, nowMs);
    }

    /** A key and its live value, as a scan found them. */
    public record ScannedValue(byte[] key, RecordEnvelope envelope) {
    }

    /** The envelope stored for {@code key} (expired or not), or null when the key is absent. */
    public RecordEnvelope read(byte[] key) {
        return lifecycle.whileOpen(" is closed", () -> {
            byte[] bytes = store.get(key);
            return bytes == null ? null : RecordEnvelope.decode(bytes);
        });
    }

    /**
     * Entries of this replica's expiry index due at {@code nowMs}, soonest first, at most {@code limit}: each
     * names a key whose value expired then, unless a later write or a delete has replaced that value.
     */
    public List<PartitionStore.ExpiryEntry> expiriesDue(long nowMs, int limit) {
        return lifecycle.whileOpen(" is closed", () -> store.expiriesDue(nowMs, limit));
    }

    /** Writes a consistent copy of this replica's store into {@code target} (see {@link PartitionStore#checkpoint}). */
    public void checkpoint(java.nio.file.Path target) {
        lifecycle.whileOpen(" is closed", () -> {
            store.checkpoint(target);
            return null;
        });
    }

    /** The first outcome of a write that carried {@code idempotencyKey}, or null. */
    public IdempotentOutcome idempotentOutcome(byte[] idempotencyKey) {
        return lifecycle.whileOpen(" is closed", () -> {
            byte[] bytes = store.idempotentOutcome(idempotencyKey);
            return bytes == null ? null : IdempotentOutcome.decode(bytes);
        });
    }

    /** How this replica got its contents when it opened: resumed, seeded from a snapshot, or replayed (and why). */
    public String origin() {
        return origin;
    }

    void origin(String origin) {
        this.origin = origin;
    }

    /** Waiting for this replica to reach a position. */
    public PositionWaits catchUp() {
        return catchUp;
    }

    /** Waiting for this replica to reflect the ingest topic's records up to a position (streaming writes). */
    public PositionWaits ingestCatchUp() {
        return ingestCatchUp;
    }

    /**
     * A position that covers whatever a read of the store may have returned by now: the batch being written
     * may already be visible in the store before {@link #appliedPosition()} moves. Read it after reading a
     * value, for the token that answers that read.
     */
    public long positionCovering() {
        return Math.max(writing, appliedPosition());
    }

    /** Notes, before a batch is written, the position it leads to. */
    void writing(long position) {
        writing = position;
    }

    /** The position applied: every committed record below it is reflected. */
    public long appliedPosition() {
        return catchUp.applied();
    }

    /** The position the store had persisted when it was opened (0 for a new or wiped store). */
    public long resumedFrom() {
        return resumedFrom;
    }

    /**
     * Whether this replica has reached the log's end as it was when the replica opened (or has been seen
     * caught up since): from then on it is a fair answer for eventual reads. A replica opened empty for a
     * rebuild or a new placement is not, until its replay is done.
     */
    public boolean serving() {
        return lifecycle.serving();
    }

    /** How often, since it opened, this replica switched its store to bulk loading (far behind the log). */
    public int bulkLoadsEntered() {
        return lag.bulkLoadsEntered();
    }

    /** Records applied since this replica was opened: small after a restart, the whole log after a wipe. */
    public long appliedSinceOpen() {
        return appliedSinceOpen.get();
    }

    /** Committed records in the log not yet applied, or -1 before the first fetch tells. */
    public long lagRecords() {
        return lag.records();
    }

    /**
     * How long since this replica was last caught up with the log's committed end: 0 when it is, -1 while
     * unknown (no fetch has answered since the replica opened).
     */
    public long lagMillis(long nowMs) {
        return lag.millis(nowMs);
    }

    /** A digest of the replica's contents (see {@link PartitionStore#digest()}), with the position it reflects. */
    public ReplicaDigest digest() {
        return lifecycle.whileNotClosing(() -> {
            long position = appliedPosition();
            return new ReplicaDigest(namespace.value(), partition, position, store.digest());
        });
    }

    public long estimatedKeys() {
        return store.estimatedKeys();
    }

    PartitionStore store() {
        return store;
    }

    /** Notes the log's end when the replica opened; the replica serves once it has applied that far. */
    void openedAgainst(long end) {
        lifecycle.openedAgainst(end, catchUp.applied());
    }

    /**
     * The digest of a snapshot taken by the applier at exactly {@code position}; computed on the
     * caller's thread, with the store kept open meanwhile. Releases the snapshot.
     */
    ReplicaDigest digest(ContentSnapshot snapshot, long position) {
        return lifecycle.whileOpen(" closed before its digest was taken", () -> {
            try {
                return new ReplicaDigest(namespace.value(), partition, position, snapshot.digest());
            } finally {
                snapshot.close();
            }
        });
    }

    void applied(long position, int records, long ingestPosition) {
        appliedSinceOpen.addAndGet(records);
        persisted = position;
        lifecycle.reached(position);
        catchUp.advance(position);
        if (ingestPosition > 0) {
            ingestCatchUp.advance(ingestPosition);
        }
    }

    /** Records that the log position moved without records (transaction markers); persisted later. */
    void advancedWithoutRecords(long position) {
        lifecycle.reached(position);
        catchUp.advance(position);
    }

    boolean positionUnpersisted() {
        return catchUp.applied() > persisted;
    }

    void persistPosition() {
        long position = catchUp.applied();
        try (PartitionStore.Batch batch = store.newBatch()) {
            batch.commit(position);
        }
        persisted = position;
    }

    void observeLag(long records, long nowMs) {
        if (lag.observe(records, nowMs)) {
            lifecycle.caughtUp();
        }
        lag.adjustBulkLoad(store, !lifecycle.closed(), nowMs);
    }

    void close(boolean destroy) {
        lifecycle.close(() -> {
            catchUp.cancelAll();
            ingestCatchUp.cancelAll();
            if (destroy) {
                store.destroy();
            } else {
                if (positionUnpersisted()) {
                    persistPosition();
                }
                store.close();
            }
        });
    }
}
