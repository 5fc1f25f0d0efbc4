package io.logkv.materializer;

import io.logkv.core.MalformedEnvelopeException;
import io.logkv.core.RecordEnvelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.rocksdb.FlushOptions;
import org.rocksdb.MutableColumnFamilyOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;

/**
 * One RocksDB store holding one partition's replica, and the log position it has applied.
 *
 * <p>Data keys are the record key behind a {@code 0x01} byte; the first outcomes of writes that carried an
 * idempotency key sit behind {@code 0x02}; the expiry index (expiry time, big-endian, then the record key,
 * so that the keys due first come first) sits behind {@code 0x03}; the applied position sits under the
 * single key {@code 0x00}. All are written in the same batch, and the store has one column family, so
 * whatever RocksDB persists (with the WAL off, a prefix of the batches) has a position that matches its data.
 *
 * <p>The expiry index gains an entry whenever a value with an expiry is applied; an entry leaves it when an
 * expiry tombstone for it is applied ({@link Batch#forgetExpiry}), or, once due, when the compactor finds that
 * the key no longer holds that value (a later write or a client's delete). So an entry may outlive its
 * value, never the reverse: every value with an expiry has its entry.
 */
public final class PartitionStore implements AutoCloseable {

    private static final byte[] POSITION_KEY = {0x00};
    private static final byte[] INGEST_POSITION_KEY = {0x00, 0x01};
    private static final byte[] APPLIED_AT_KEY = {0x00, 0x02};
    /** Present once the expiry index covers every value in the store (stores written before it get it built at open). */
    private static final byte[] EXPIRY_INDEX_VERSION_KEY = {0x00, 0x03};
    private static final byte[] EXPIRY_INDEX_V1 = {1};
    private static final byte DATA_PREFIX = 0x01;
    private static final byte IDEMPOTENCY_PREFIX = 0x02;
    private static final byte EXPIRY_PREFIX = 0x03;
    private static final byte[] NOTHING = new byte[0];

    private final Path directory;
    private final StoreResources resources;
    private final Options options;
    private final RocksDB db;
    private final long persistedPosition;
    private final long persistedIngestPosition;
    private final long persistedAppliedAtMs;

    private PartitionStore(Path directory, StoreResources resources, Options options, RocksDB db, long persistedPosition,
                           long persistedIngestPosition, long persistedAppliedAtMs) {
        this.directory = directory;
        this.resources = resources;
        this.options = options;
        this.db = db;
        this.persistedPosition = persistedPosition;
        this.persistedIngestPosition = persistedIngestPosition;
        this.persistedAppliedAtMs = persistedAppliedAtMs;
    }

    /** Opens (or creates) the store in {@code directory}. */
    public static PartitionStore open(Path directory, StoreResources resources) {
        Options options = resources.newOptions();
        try {
            Files.createDirectories(directory);
            RocksDB db = RocksDB.open(options, directory.toString());
            byte[] position = db.get(POSITION_KEY);
            byte[] ingestPosition = db.get(INGEST_POSITION_KEY);
            byte[] appliedAt = db.get(APPLIED_AT_KEY);
            if (db.get(EXPIRY_INDEX_VERSION_KEY) == null) {
                indexExpiries(db, resources);
            }
            return new PartitionStore(directory, resources, options, db, position == null ? 0L : ByteBuffer.wrap(position).getLong(),
                    ingestPosition == null ? 0L : ByteBuffer.wrap(ingestPosition).getLong(),
                    appliedAt == null ? 0L : ByteBuffer.wrap(appliedAt).getLong());
        } catch (RocksDBException | IOException e) {
            options.close();
            throw new IllegalStateException("could not open the replica store in " + directory, e);
        }
    }

    /**
     * Builds the expiry index of a store written before there was one (a scan of every value, once), and
     * marks the store as indexed; for a new store only the mark.
     */
    private static void indexExpiries(RocksDB db, StoreResources resources) throws RocksDBException {
        try (ReadOptions read = new ReadOptions().setFillCache(false);
             RocksIterator it = db.newIterator(read);
             WriteBatch batch = new WriteBatch()) {
            for (it.seek(new byte[] {DATA_PREFIX}); it.isValid() && it.key()[0] == DATA_PREFIX; it.next()) {
                byte[] value = it.value();
                long expiresAt = expiryOf(value);
                if (expiresAt != RecordEnvelope.NO_EXPIRY) {
                    byte[] key = it.key();
                    batch.put(expiryKey(expiresAt, key, 1), NOTHING);
                }
            }
            batch.put(EXPIRY_INDEX_VERSION_KEY, EXPIRY_INDEX_V1);
            db.write(resources.writeOptions(), batch);
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
        try {
            return db.get(resources.readOptions(), dataKey(key));
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
        List<StoredEntry> entries = new ArrayList<>(Math.min(limit, 1024));
        byte[] start = dataKey(after != null && compare(after, prefix) > 0 ? after : prefix);
        try (ReadOptions read = new ReadOptions().setFillCache(false);
             RocksIterator it = db.newIterator(read)) {
            for (it.seek(start); it.isValid() && entries.size() < limit; it.next()) {
                byte[] stored = it.key();
                if (!startsWith(stored, DATA_PREFIX, prefix)) {
                    break;
                }
                byte[] key = Arrays.copyOfRange(stored, 1, stored.length);
                if (after != null && compare(key, after) <= 0) {
                    continue;
                }
                entries.add(new StoredEntry(key, it.value()));
            }
        }
        return entries;
    }

    /** A stored key and its envelope bytes. */
    public record StoredEntry(byte[] key, byte[] envelope) {
    }

    private static boolean startsWith(byte[] stored, byte storedPrefix, byte[] prefix) {
        if (stored.length < 1 + prefix.length || stored[0] != storedPrefix) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (stored[1 + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** The first outcome of a write that carried {@code idempotencyKey}, as applied from the log, or null. */
    public byte[] idempotentOutcome(byte[] idempotencyKey) {
        try {
            return db.get(resources.readOptions(), prefixed(IDEMPOTENCY_PREFIX, idempotencyKey));
        } catch (RocksDBException e) {
            throw new IllegalStateException("replica read failed in " + directory, e);
        }
    }

    /**
     * Entries of the expiry index due at {@code nowMs}, soonest first, at most {@code limit}: values that
     * expired at or before then, or entries their values have outlived.
     */
    public List<ExpiryEntry> expiriesDue(long nowMs, int limit) {
        List<ExpiryEntry> due = new ArrayList<>();
        try (ReadOptions read = new ReadOptions().setFillCache(false);
             RocksIterator it = db.newIterator(read)) {
            for (it.seek(new byte[] {EXPIRY_PREFIX}); it.isValid() && due.size() < limit; it.next()) {
                byte[] entry = it.key();
                if (entry[0] != EXPIRY_PREFIX) {
                    break;
                }
                long expiresAt = ByteBuffer.wrap(entry, 1, Long.BYTES).getLong();
                if (expiresAt > nowMs) {
                    break;
                }
                due.add(new ExpiryEntry(expiresAt, Arrays.copyOfRange(entry, 1 + Long.BYTES, entry.length)));
            }
        }
        return due;
    }

    /** Whether the expiry index has an entry for {@code key} expiring at {@code expiresAtMs}. */
    public boolean hasExpiryEntry(long expiresAtMs, byte[] key) {
        try {
            return db.get(resources.readOptions(), expiryKey(expiresAtMs, key, 0)) != null;
        } catch (RocksDBException e) {
            throw new IllegalStateException("replica read failed in " + directory, e);
        }
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
        return new Batch();
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
        return new ContentSnapshot(db.getSnapshot());
    }

    /** The frozen contents of a store; close it to let RocksDB drop what only it still holds. */
    public final class ContentSnapshot implements AutoCloseable {
        private final Snapshot snapshot;

        private ContentSnapshot(Snapshot snapshot) {
            this.snapshot = snapshot;
        }

        /** SHA-256 over every (key length, value length, key, value) of the data keys, in key order. */
        public String digest() {
            try (ReadOptions read = new ReadOptions().setSnapshot(snapshot).setFillCache(false)) {
                return digestOf(db, read);
            }
        }

        @Override
        public void close() {
            db.releaseSnapshot(snapshot);
        }
    }

    private static String digestOf(RocksDB db, ReadOptions read) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer lengths = ByteBuffer.allocate(8);
        try (RocksIterator it = db.newIterator(read)) {
            for (it.seek(new byte[] {DATA_PREFIX}); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key[0] != DATA_PREFIX) {
                    break;
                }
                byte[] value = it.value();
                lengths.clear();
                lengths.putInt(key.length - 1).putInt(value.length);
                sha.update(lengths.array());
                sha.update(key, 1, key.length - 1);
                sha.update(value);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
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
     * Writes a consistent copy of the store into {@code target} (which must not exist): RocksDB's checkpoint,
     * hard links where the file system allows. The copy holds a prefix of the applied batches, and with them
     * the position they lead to ({@link #inspect}).
     */
    public void checkpoint(Path target) {
        try (org.rocksdb.Checkpoint checkpoint = org.rocksdb.Checkpoint.create(db)) {
            checkpoint.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new IllegalStateException("could not checkpoint " + directory + " into " + target, e);
        }
    }

    /**
     * The position and content digest of a store copy (a checkpoint, or a restored snapshot), read without
     * changing it.
     */
    public static Contents inspect(Path directory) {
        try (Options options = new Options();
             RocksDB db = RocksDB.openReadOnly(options, directory.toString())) {
            byte[] position = db.get(POSITION_KEY);
            try (ReadOptions read = new ReadOptions().setFillCache(false)) {
                return new Contents(position == null ? 0L : ByteBuffer.wrap(position).getLong(), digestOf(db, read));
            }
        } catch (RocksDBException e) {
            throw new IllegalStateException("could not read the store copy in " + directory, e);
        }
    }

    /**
     * Checks a store copy (a loaded snapshot) without changing it: every block of every file against its
     * checksum, in RocksDB itself (no record crosses into Java); returns the position the copy has applied.
     *
     * @throws IllegalStateException when a file is missing, truncated or corrupt
     */
    public static long verify(Path directory) {
        try (Options options = new Options();
             RocksDB db = RocksDB.openReadOnly(options, directory.toString())) {
            db.verifyChecksum();
            byte[] position = db.get(POSITION_KEY);
            return position == null ? 0L : ByteBuffer.wrap(position).getLong();
        } catch (RocksDBException e) {
            throw new IllegalStateException("the store copy in " + directory + " is not intact: " + e.getMessage(), e);
        }
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
        try {
            flush();
        } finally {
            db.close();
            options.close();
        }
    }

    /** Closes the store and deletes its files. */
    public void destroy() {
        db.close();
        options.close();
        deleteRecursively(directory);
    }

    /** Deletes a directory and everything in it; nothing when it does not exist. */
    public static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + directory, e);
        }
    }

    /** The index key of {@code key} (from {@code from} on: 1 for a data key, 0 for a record key) expiring at {@code expiresAtMs}. */
    private static byte[] expiryKey(long expiresAtMs, byte[] key, int from) {
        byte[] entry = new byte[1 + Long.BYTES + key.length - from];
        entry[0] = EXPIRY_PREFIX;
        ByteBuffer.wrap(entry, 1, Long.BYTES).putLong(expiresAtMs);
        System.arraycopy(key, from, entry, 1 + Long.BYTES, key.length - from);
        return entry;
    }

    /** The expiry of a stored envelope; none for bytes that are not a well-formed one (never stored by an owner). */
    private static long expiryOf(byte[] envelope) {
        try {
            return RecordEnvelope.expiresAtOf(envelope);
        } catch (MalformedEnvelopeException e) {
            return RecordEnvelope.NO_EXPIRY;
        }
    }

    private static byte[] dataKey(byte[] key) {
        return prefixed(DATA_PREFIX, key);
    }

    private static byte[] prefixed(byte prefix, byte[] key) {
        byte[] prefixed = new byte[key.length + 1];
        prefixed[0] = prefix;
        System.arraycopy(key, 0, prefixed, 1, key.length);
        return prefixed;
    }

    /** Changes to one store, applied atomically together with the position they lead to. */
    public final class Batch implements AutoCloseable {
        private final WriteBatch batch = new WriteBatch();

        /** Stores a value (an envelope); one with an expiry gets its entry in the expiry index. */
        public void put(byte[] key, byte[] envelope) {
            try {
                batch.put(dataKey(key), envelope);
                long expiresAt = expiryOf(envelope);
                if (expiresAt != RecordEnvelope.NO_EXPIRY) {
                    batch.put(expiryKey(expiresAt, key, 0), NOTHING);
                }
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Drops the expiry index's entry for {@code key} expiring at {@code expiresAtMs}. */
        public void forgetExpiry(long expiresAtMs, byte[] key) {
            try {
                batch.delete(expiryKey(expiresAtMs, key, 0));
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
        }

        public void delete(byte[] key) {
            try {
                batch.delete(dataKey(key));
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Records how far the partition's ingest topic has been applied (kept with the data). */
        public void ingestPosition(long position) {
            try {
                batch.put(INGEST_POSITION_KEY, ByteBuffer.allocate(Long.BYTES).putLong(position).array());
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Remembers the first outcome of a write that carried an idempotency key (the first one wins). */
        public void rememberOutcome(byte[] idempotencyKey, byte[] outcome) {
            try {
                if (idempotentOutcome(idempotencyKey) == null) {
                    batch.put(prefixed(IDEMPOTENCY_PREFIX, idempotencyKey), outcome);
                }
            } catch (RocksDBException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Writes the changes and the new applied position in one atomic batch. */
        public void commit(long position) {
            try {
                batch.put(POSITION_KEY, ByteBuffer.allocate(Long.BYTES).putLong(position).array());
                batch.put(APPLIED_AT_KEY, ByteBuffer.allocate(Long.BYTES).putLong(System.currentTimeMillis()).array());
                db.write(resources.writeOptions(), batch);
            } catch (RocksDBException e) {
                throw new IllegalStateException("replica write failed in " + directory, e);
            }
        }

        /** Writes the changes alone: for index upkeep that leads to no new position. */
        public void commitWithoutPosition() {
            try {
                db.write(resources.writeOptions(), batch);
            } catch (RocksDBException e) {
                throw new IllegalStateException("replica write failed in " + directory, e);
            }
        }

        @Override
        public void close() {
            batch.close();
        }
    }
}
