package io.logkv.materializer;

import io.logkv.core.PositionWaits;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's replica of one truth partition: its store, the position it has applied, and how far
 * behind the log it is. Reads may come from any thread; only the applier's threads change it, one at a
 * time. Its lifecycle is a {@link ReplicaState}, kept by {@link ReplicaLifecycle}.
 */
public final class PartitionReplica {

    private static final Logger log = LoggerFactory.getLogger(PartitionReplica.class);

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
    /** The ingest position applied (see {@link #appliedIngestPosition()}); written by the applying thread only. */
    private volatile long ingestApplied;
    private final long resumedFrom;
    private final AtomicLong appliedSinceOpen = new AtomicLong();
    private final AtomicInteger tableFilesLoaded = new AtomicInteger();
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
        this.ingestApplied = store.persistedIngestPosition();
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
     * first), in key order, at most {@code limit}, and no more values than fit in {@code maxValueBytes} (but at
     * least one, so that paging moves on); expired values are left out. Keys the store holds but whose values
     * expired count toward nothing.
     */
    public ScannedPage scan(byte[] prefix, byte[] after, int limit, long maxValueBytes, long nowMs) {
        return lifecycle.whileOpen(" is closed", () -> {
            long applied = appliedPosition();
            try (PartitionStore.View view = store.view()) {
                return LiveScan.page(view, prefix, after, limit, maxValueBytes, nowMs, reflected(view, applied));
            }
        });
    }

    /** A key and its live value, as a scan found them. */
    public record ScannedValue(byte[] key, RecordEnvelope envelope) {
    }

    /**
     * A page of a scan and the position it reflects exactly: every committed record below it and nothing above,
     * as for {@link #readPositioned}; {@code more} when live keys under the prefix may follow the page's last (it
     * ended at its limit of keys or of bytes), false when the store holds none.
     */
    public record ScannedPage(List<ScannedValue> values, long position, boolean more) {
    }

    /** The envelope stored for {@code key} (expired or not), or null when the key is absent. */
    public RecordEnvelope read(byte[] key) {
        return lifecycle.whileOpen(" is closed", () -> {
            byte[] bytes = store.get(key);
            return bytes == null ? null : RecordEnvelope.decode(bytes);
        });
    }

    /**
     * A key's value with a position the read reflects exactly: every committed record below it and nothing
     * above, so that a token naming it covers the answer (monotonic reads) and claims nothing the answer missed
     * (a watch started from it sees every later change). When no batch was being written during the read, that
     * is the applied position; otherwise the value and the position written with it are read from one snapshot
     * of the store.
     */
    public PositionedRead readPositioned(byte[] key) {
        return lifecycle.whileOpen(" is closed", () -> {
            long applied = appliedPosition();
            long batch = writing;
            if (batch <= applied) {
                byte[] bytes = store.get(key);
                if (writing == batch) {
                    // No batch began before the read ended: it saw exactly what lies below the applied position.
                    return new PositionedRead(bytes == null ? null : RecordEnvelope.decode(bytes), applied);
                }
            }
            // A batch was being written: read the value and the position from one snapshot.
            try (PartitionStore.View view = store.view()) {
                byte[] bytes = view.get(key);
                return new PositionedRead(bytes == null ? null : RecordEnvelope.decode(bytes), reflected(view, applied));
            }
        });
    }

    /**
     * The position a view of the store reflects exactly, taken after the replica had applied {@code applied}: the
     * view holds a batch above the applied position and the position that batch wrote, or holds none above it, and
     * then the applied position (the stored one may lag: positions reached without records are persisted later).
     */
    private static long reflected(PartitionStore.View view, long applied) {
        return Math.max(view.position(), applied);
    }

    /** A value read (null when absent) and the position the read reflects exactly. */
    public record PositionedRead(RecordEnvelope envelope, long position) {
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

    /** Table files this replica's store was loaded by since it opened (a replay far behind, see {@link FileLoad}). */
    public int tableFilesLoaded() {
        return tableFilesLoaded.get();
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
        if (ingestPosition > 0) {
            // Before the position moves: a new owner waiting for the position reads where to resume ingest in
            // its wait's completion, which may run on this thread inside catchUp.advance.
            ingestApplied = Math.max(ingestApplied, ingestPosition);
        }
        catchUp.advance(position);
        if (ingestPosition > 0) {
            // After it: a read woken by an ingest position reads the store at the replica's position, which
            // must already include the batch that reached it.
            ingestCatchUp.advance(ingestPosition);
        }
    }

    /**
     * The ingest position the records applied so far reach: the highest progress marker among them. Moves before
     * {@link #appliedPosition()} does for the same batch (and {@link #ingestCatchUp()} after), so whoever has
     * seen a position applied sees the ingest position that came with it.
     */
    public long appliedIngestPosition() {
        return ingestApplied;
    }

    /** Records that the log position moved without records (transaction markers); persisted later. */
    void advancedWithoutRecords(long position) {
        lifecycle.reached(position);
        catchUp.advance(position);
    }

    /**
     * Loads the store by table files ({@link FileLoad}) while it loads in bulk and does not serve yet (nobody
     * reads it but reads waiting for a position, which only moves when staged batches are ingested); back to
     * the memtable when either ends, ingesting what was staged. Returns what that ingestion made visible, or null.
     */
    FileLoad.Loaded adjustFileLoad() {
        boolean byFiles = lag.bulkLoading() && !lifecycle.serving() && !lifecycle.closed();
        if (byFiles) {
            store.startFileLoad();
            return null;
        }
        return endFileLoad();
    }

    private FileLoad.Loaded endFileLoad() {
        FileLoad.Loaded loaded = ingestStaged();
        store.endFileLoad();
        return loaded;
    }

    /**
     * The position of the last batch applied or staged: what the store will show once staged batches are in.
     * A digest at or below it can no longer be cut, when batches are staged beyond what the store shows.
     */
    long consumedPosition() {
        return holdsStaged() ? Math.max(appliedPosition(), store.fileLoad().position()) : appliedPosition();
    }

    /** Whether batches are staged that the store does not show yet: the position must not move past them. */
    boolean holdsStaged() {
        FileLoad load = store.fileLoad();
        return load != null && !load.isEmpty();
    }

    /**
     * Hands the staged batches over to be written and ingested in the background (see {@link FileLoad#handOff});
     * returns what the file handed over before made visible, if anything, once this replica moved to its position.
     */
    FileLoad.Loaded handOffStaged() {
        FileLoad load = store.fileLoad();
        // Reads may see the file as soon as it is ingested, before the position moves (see readPositioned).
        writing(load.position());
        return reached(load.handOff());
    }

    /** Moves to the position of the file in flight if it has been ingested by now; what it made visible, or null. */
    FileLoad.Loaded publishLoaded() {
        FileLoad load = store.fileLoad();
        return load == null ? null : reached(load.completed());
    }

    /** Ingests everything staged and in flight in a load by table files, then moves to their position; null when none were. */
    FileLoad.Loaded ingestStaged() {
        FileLoad load = store.fileLoad();
        if (load == null || load.isEmpty() || load.failed()) {
            return null;
        }
        writing(load.position());
        return reached(load.ingest());
    }

    private FileLoad.Loaded reached(FileLoad.Loaded loaded) {
        if (loaded != null) {
            tableFilesLoaded.incrementAndGet();
            applied(loaded.position(), loaded.records(), loaded.ingestPosition());
        }
        return loaded;
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

    /**
     * Notes the lag a fetch reported, and switches the store in or out of bulk loading and loading by table files
     * ({@link #adjustFileLoad}); returns what ending a load by files made visible, or null.
     */
    FileLoad.Loaded observeLag(long records, long nowMs) {
        // Each of the three ends a load by files at most once, so at most one of them makes anything visible.
        FileLoad.Loaded[] loaded = new FileLoad.Loaded[3];
        if (lag.observe(records, nowMs)) {
            // The fetch reached the log's end, which staged batches may not have: they go in before the replica
            // serves, so that it serves what it shows.
            loaded[0] = endFileLoad();
            lifecycle.caughtUp();
        }
        // The last file goes in while the level-0 triggers are still raised: with many files from the load,
        // the lowered ones would slow its ingestion until compactions caught up.
        lag.adjustBulkLoad(store, !lifecycle.closed(), nowMs, () -> loaded[1] = endFileLoad());
        loaded[2] = adjustFileLoad();
        return loaded[0] != null ? loaded[0] : loaded[1] != null ? loaded[1] : loaded[2];
    }

    void close(boolean destroy) {
        lifecycle.close(() -> {
            catchUp.cancelAll();
            ingestCatchUp.cancelAll();
            if (destroy) {
                store.destroy();
            } else {
                try {
                    ingestStaged();
                } catch (RuntimeException e) {
                    // The store keeps the position of its last file; a restart replays the rest.
                    log.warn("event=replica_staged_batches_dropped partition={}-{} reason={}", namespace, partition, e.toString());
                }
                if (positionUnpersisted()) {
                    persistPosition();
                }
                store.close();
            }
        });
    }
}
