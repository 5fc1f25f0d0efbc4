package io.logkv.materializer;

import io.logkv.core.NodeTime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.FlushOptions;
import org.rocksdb.MutableColumnFamilyOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;

import static io.logkv.materializer.StoreLayout.APPLIED_AT_KEY;
import static io.logkv.materializer.StoreLayout.EXPIRY_INDEX_VERSION_KEY;
import static io.logkv.materializer.StoreLayout.IDEMPOTENCY_PREFIX;
import static io.logkv.materializer.StoreLayout.INGEST_POSITION_KEY;
import static io.logkv.materializer.StoreLayout.POSITION_KEY;
import static io.logkv.materializer.StoreLayout.dataKey;
import static io.logkv.materializer.StoreLayout.expiryKey;
import static io.logkv.materializer.StoreLayout.prefixed;

/**
 * One RocksDB store holding one partition's replica, and the log position it has applied.
 *
 * <p>Values, the first outcomes of idempotent writes, the expiry index and the applied position share one
 * column family ({@link StoreLayout}) and are written in the same batch, so whatever RocksDB persists (with
 * the WAL off, a prefix of the batches) has a position that matches its data.
 *
 * <p>The expiry index gains an entry whenever a value with an expiry is applied; an entry leaves it when an
 * expiry tombstone for it is applied ({@link Batch#forgetExpiry}), or, once due, when the compactor finds that
 * the key no longer holds that value (a later write or a client's delete). So an entry may outlive its
 * value, never the reverse: every value with an expiry has its entry.
 */
public final class PartitionStore implements AutoCloseable {

    private final Path directory;
    private final StoreResources resources;
    private final Options options;
    private final RocksDB db;
    private final long persistedPosition;
    private final long persistedIngestPosition;
    private final long persistedAppliedAtMs;
    private final NodeTime time;
    /** Set while the store loads by table files (the applier's threads only). */
    private FileLoad fileLoad;

    private PartitionStore(Path directory, StoreResources resources, Options options, RocksDB db, NodeTime time)
            throws RocksDBException {
        this.directory = directory;
        this.resources = resources;
        this.options = options;
        this.db = db;
        this.time = time;
        this.persistedPosition = StoreLayout.decodeLong(db.get(POSITION_KEY));
        this.persistedIngestPosition = StoreLayout.decodeLong(db.get(INGEST_POSITION_KEY));
        this.persistedAppliedAtMs = StoreLayout.decodeLong(db.get(APPLIED_AT_KEY));
    }

    /** Opens (or creates) the store in {@code directory}. */
    public static PartitionStore open(Path directory, StoreResources resources) {
        return open(directory, resources, NodeTime.SYSTEM);
    }

    /**
     * Opens (or creates) the store in {@code directory}; its commits record when they applied by {@code time}.
     *
     * @throws StoreDamagedException when files of the store are missing or corrupt
     * @throws IllegalStateException when it cannot be opened for another reason (space, permissions)
     */
    static PartitionStore open(Path directory, StoreResources resources, NodeTime time) {
        Options options = resources.newOptions();
        RocksDB db = null;
        try {
            Files.createDirectories(directory);
            // Table files a load by files had not handed to RocksDB when the process stopped.
            StoreFiles.deleteRecursively(fileLoadDirectory(directory));
            db = RocksDB.open(options, directory.toString());
            PartitionStore store = new PartitionStore(directory, resources, options, db, time);
            if (db.get(EXPIRY_INDEX_VERSION_KEY) == null) {
                ExpiryIndex.build(db, resources);
            }
            return store;
        } catch (RocksDBException e) {
            if (db != null) {
                db.close();
            }
            options.close();
            if (StoreFiles.damaged(e)) {
                throw new StoreDamagedException("the replica store in " + directory + " has missing or corrupt files: " + e.getMessage(), e);
            }
            throw new IllegalStateException("could not open the replica store in " + directory, e);
        } catch (IOException e) {
            options.close();
            throw new IllegalStateException("could not open the replica store in " + directory, e);
        }
    }

    /** The position this store had persisted when it was opened: where replay resumes. */
    public long persistedPosition() {
        return persistedPosition;
    }

    /** When (epoch ms) this store last persisted a position before it was opened; 0 for a new store. */
    public long persistedAppliedAtMs() {
        return persistedAppliedAtMs;
    }

    /** The ingest position this store had persisted when it was opened (see {@link io.logkv.core.IngestHeaders}). */
    public long persistedIngestPosition() {
        return persistedIngestPosition;
    }

    /** The stored envelope bytes of {@code key}, or null when absent. */
    public byte[] get(byte[] key) {
        return read(dataKey(key));
    }

    /** The first outcome of a write that carried {@code idempotencyKey}, as applied from the log, or null. */
    public byte[] idempotentOutcome(byte[] idempotencyKey) {
        return read(prefixed(IDEMPOTENCY_PREFIX, idempotencyKey));
    }

    /** Whether the expiry index has an entry for {@code key} expiring at {@code expiresAtMs}. */
    public boolean hasExpiryEntry(long expiresAtMs, byte[] key) {
        return read(expiryKey(expiresAtMs, key, 0)) != null;
    }

    private byte[] read(byte[] storedKey) {
        try {
            return db.get(resources.readOptions(), storedKey);
        } catch (RocksDBException e) {
            throw new IllegalStateException("replica read failed in " + directory, e);
        }
    }

    /**
     * Stored keys that start with {@code prefix} and sort after {@code after} (bytewise; null: from the first),
     * in key order, at most {@code limit}, with their envelope bytes: one consistent view of the store
     * (the iterator's implicit snapshot).
     */
    public List<StoredEntry> scan(byte[] prefix, byte[] after, int limit) {
        return PrefixScan.page(db, null, prefix, after, limit, Long.MAX_VALUE).entries();
    }

    /** A view of the store fixed when it is taken, for reads that must agree with each other; close it after use. */
    View view() {
        return new View(db.getSnapshot());
    }

    /** One snapshot of the store: values, pages of a scan and the position they were stored at, all from the same state. */
    final class View implements AutoCloseable {
        private final Snapshot snapshot;

        private View(Snapshot snapshot) {
            this.snapshot = snapshot;
        }

        /** As {@link PartitionStore#get}, at this view. */
        byte[] get(byte[] key) {
            try (ReadOptions atSnapshot = new ReadOptions().setSnapshot(snapshot).setVerifyChecksums(false)) {
                return db.get(atSnapshot, dataKey(key));
            } catch (RocksDBException e) {
                throw new IllegalStateException("replica read failed in " + directory, e);
            }
        }

        /** As {@link PartitionStore#scan}, at this view, the page also bounded by its envelopes' bytes ({@link PrefixScan#page}). */
        PrefixScan.Page scan(byte[] prefix, byte[] after, int limit, long maxBytes) {
            return PrefixScan.page(db, snapshot, prefix, after, limit, maxBytes);
        }

        /** The position the store was at in this view: the one written with the last batch it holds. */
        long position() {
            try (ReadOptions atSnapshot = new ReadOptions().setSnapshot(snapshot).setVerifyChecksums(false)) {
                return StoreLayout.decodeLong(db.get(atSnapshot, POSITION_KEY));
            } catch (RocksDBException e) {
                throw new IllegalStateException("replica read failed in " + directory, e);
            }
        }

        @Override
        public void close() {
            db.releaseSnapshot(snapshot);
        }
    }

    /** A stored key and its envelope bytes. */
    public record StoredEntry(byte[] key, byte[] envelope) {
    }

    /**
     * Entries of the expiry index due at {@code nowMs}, soonest first, at most {@code limit}: values that
     * expired at or before then, or entries their values have outlived.
     */
    public List<ExpiryEntry> expiriesDue(long nowMs, int limit) {
        return ExpiryIndex.due(db, nowMs, limit);
    }

    /**
     * One entry of the expiry index.
     *
     * @param expiresAtMs when the value it was made for expires
     * @param key         the record key
     */
    public record ExpiryEntry(long expiresAtMs, byte[] key) {
    }

    /** A batch of changes that will reach the store together with the position it leads to. */
    public Batch newBatch() {
        return new Batch(this);
    }

    /**
     * Writes a content digest: SHA-256 over every (key, value) in key order. Two replicas of the same
     * partition at the same position have equal digests.
     */
    public String digest() {
        try (ContentSnapshot snapshot = snapshot()) {
            return snapshot.digest();
        }
    }

    /**
     * Freezes the store's current contents (a RocksDB snapshot): later writes do not change what the
     * snapshot's digest sees, so a digest can be taken at an exact position and computed elsewhere.
     */
    public ContentSnapshot snapshot() {
        return new ContentSnapshot(db, db.getSnapshot());
    }

    /** The number of keys held, as RocksDB estimates it (cheap, approximate). */
    public long estimatedKeys() {
        try {
            return db.getLongProperty("rocksdb.estimate-num-keys");
        } catch (RocksDBException e) {
            return -1;
        }
    }

    /**
     * Switches the store in or out of bulk loading, for a replica far behind the log (a rebuild, a long
     * stop). While loading, compactions wait and level-0 files may pile up without stalling writes, so
     * the replay spends its CPU on applying; leaving the mode lets compactions run again in the background.
     */
    public void bulkLoad(boolean loading) {
        try {
            db.setOptions(MutableColumnFamilyOptions.builder()
                    .setDisableAutoCompactions(loading)
                    .setLevel0SlowdownWritesTrigger(loading ? 400 : 20)
                    .setLevel0StopWritesTrigger(loading ? 800 : 36)
                    .build());
        } catch (RocksDBException e) {
            throw new IllegalStateException("could not change the load mode of " + directory, e);
        }
    }

    /**
     * Starts loading by table files ({@link FileLoad}): batches the applier stages become visible when it
     * ingests them. Nothing happens when the store already loads so.
     */
    void startFileLoad() {
        if (fileLoad == null) {
            fileLoad = new FileLoad(db, resources, fileLoadDirectory(directory));
        }
    }

    /** The load by table files under way, or null when batches are written through the memtable. */
    FileLoad fileLoad() {
        return fileLoad;
    }

    /** Ends loading by table files; what is still staged is dropped, so ingest it first to keep it. */
    void endFileLoad() {
        if (fileLoad != null) {
            fileLoad.close();
            fileLoad = null;
        }
    }

    private static Path fileLoadDirectory(Path storeDirectory) {
        return storeDirectory.resolve("file-load");
    }

    /**
     * Writes a consistent copy of the store into {@code target} (which must not exist): RocksDB's checkpoint,
     * hard links where the file system allows. The copy holds a prefix of the applied batches, and with them
     * the position they lead to ({@link #inspect}).
     */
    public void checkpoint(Path target) {
        StoreFiles.checkpoint(db, directory, target);
    }

    /**
     * The position and content digest of a store copy (a checkpoint, or a restored snapshot), read without
     * changing it.
     */
    public static Contents inspect(Path directory) {
        return StoreFiles.inspect(directory);
    }

    /**
     * Checks a store copy (a loaded snapshot) without changing it: every block of every file against its
     * checksum, in RocksDB itself (no record crosses into Java); returns the position the copy has applied.
     *
     * @throws IllegalStateException when a file is missing, truncated or corrupt
     */
    public static long verify(Path directory) {
        return StoreFiles.verify(directory);
    }

    /**
     * What a store holds.
     *
     * @param position the log position it has applied
     * @param digest   its content digest ({@link #digest()})
     */
    public record Contents(long position, String digest) {
    }

    /** Persists memtables, so a restart resumes from the latest applied position. */
    public void flush() {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush);
        } catch (RocksDBException e) {
            throw new IllegalStateException("replica flush failed in " + directory, e);
        }
    }

    @Override
    public void close() {
        endFileLoad();
        try {
            flush();
        } finally {
            db.close();
            options.close();
        }
    }

    /** Closes the store and deletes its files. */
    public void destroy() {
        endFileLoad();
        db.close();
        options.close();
        deleteRecursively(directory);
    }

    /** Deletes a directory and everything in it; nothing when it does not exist. */
    public static void deleteRecursively(Path directory) {
        StoreFiles.deleteRecursively(directory);
    }

    /** Changes to one store, applied atomically together with the position they lead to (see {@link StoreBatch}). */
    public static final class Batch extends StoreBatch {
        private Batch(PartitionStore store) {
            super(store.db, store.resources, store.directory, store::idempotentOutcome, store.time);
        }
    }
}
