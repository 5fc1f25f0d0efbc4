package io.logkv.materializer;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.rocksdb.EnvOptions;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileWriter;

import static io.logkv.materializer.StoreLayout.IDEMPOTENCY_PREFIX;

/**
 * A replay that loads a store by table files instead of through its memtable: batches are staged in memory,
 * and once enough have gathered they are sorted by key, written as one table file and ingested into the store
 * in one step. RocksDB's own path writes each change into the memtable and later writes the memtable out as
 * a table file; for a replay far behind the log that second pass and the memtable inserts took more CPU than
 * anything else (measured in {@code SstIngestSpike} and docs/performance.md).
 *
 * <p>What the store holds is always a prefix of the log: the staged batches become visible together with the
 * position of the last of them (each batch carries its position keys), and nothing staged is visible before
 * {@link #ingest}. A file overlaps the store's older files, so RocksDB gives it a sequence number above all
 * they hold: a later file's value for a key wins, as a later write would. Within the staged batches the last
 * change of a key wins too, except for the first outcomes of idempotent writes, where the first one wins, as
 * {@link StoreBatch#rememberOutcome} keeps it across batches.
 *
 * <p>Staged batches hold on to the records' arrays (heap) until ingested; {@link StoreResources} bounds how
 * much all stores of a node may stage together. Used by the applying thread alone, or by the polling thread
 * while the applying thread waits.
 */
final class FileLoad implements AutoCloseable {

    /**
     * What an ingestion made visible.
     *
     * @param position       the position the store has applied now
     * @param records        records applied by the staged batches
     * @param bytes          their key and value bytes
     * @param ingestPosition the highest ingest position among them, or 0
     */
    record Loaded(long position, int records, long bytes, long ingestPosition) {

        /** This and the file loaded after it, as one. */
        Loaded then(Loaded next) {
            return new Loaded(next.position(), records + next.records(), bytes + next.bytes(), Math.max(ingestPosition, next.ingestPosition()));
        }
    }

    /** A staged change: the stored key, the value (null: a delete), and its order among the staged changes. */
    private record Staged(byte[] key, byte[] value, int order) {
    }

    /** What a staged change holds in the heap beside its bytes (its record, its key's prefixed copy, a list slot). */
    static final int HEAP_BYTES_PER_CHANGE = 64;

    private final RocksDB db;
    private final StoreResources resources;
    private final Path stagingDirectory;
    private List<Staged> staged = new ArrayList<>();
    private long stagedBytes;
    private long position = -1;
    private int records;
    private long recordBytes;
    private long ingestPosition;
    private int filesWritten;
    /** The file being written and ingested by the node's file loading thread, or null. */
    private Future<Loaded> inFlight;
    private long inFlightBytes;
    /**
     * Set when a file or a batch could not be loaded: nothing is staged or ingested from then on, since what
     * follows would make the store skip what failed. The store stays at the position of its last file.
     */
    private RuntimeException failed;

    /**
     * @param stagingDirectory where table files are written before RocksDB takes them (on the store's file
     *                         system, so that ingestion moves them instead of copying); emptied here
     */
    FileLoad(RocksDB db, StoreResources resources, Path stagingDirectory) {
        this.db = db;
        this.resources = resources;
        this.stagingDirectory = stagingDirectory;
        StoreFiles.deleteRecursively(stagingDirectory);
        resources.fileLoadStarted();
    }

    /** Stages a batch of changes that leads to {@code position}; visible once ingested. */
    void stage(SerializedBatch changes, long position, int records, long recordBytes, long ingestPosition) {
        refuseIfFailed();
        try {
            changes.forEach((key, value) -> staged.add(new Staged(key, value, staged.size())));
        } catch (RuntimeException | Error e) {
            // Part of the batch staged without its position: none of it may ever be ingested.
            fail(new IllegalStateException("could not stage a batch for " + stagingDirectory.getParent(), e));
            throw e;
        }
        long size = changes.size() + (long) changes.count() * HEAP_BYTES_PER_CHANGE;
        stagedBytes += size;
        resources.fileLoadStaged(size);
        this.position = position;
        this.records += records;
        this.recordBytes += recordBytes;
        this.ingestPosition = Math.max(this.ingestPosition, ingestPosition);
    }

    /** The position the batches staged or in flight lead to; -1 when there are none. */
    long position() {
        return position;
    }

    /** Whether nothing is staged and no file is in flight. */
    boolean isEmpty() {
        return staged.isEmpty() && inFlight == null;
    }

    /**
     * Whether the staged batches make up this load's share of the budget ({@link StoreResources#fileLoadShare}).
     * With the file in flight, a load holds at most twice its share.
     */
    boolean full() {
        return stagedBytes >= resources.fileLoadShare();
    }

    /**
     * Hands the staged batches to the node's file loading thread, which writes and ingests them while the
     * next ones are staged; first waits for the file in flight, if any, and returns what it made visible (null
     * when none was in flight). One file per store is in flight at a time, so files are ingested in log order.
     */
    Loaded handOff() {
        Loaded previous = awaitInFlight();
        refuseIfFailed();
        if (!staged.isEmpty()) {
            List<Staged> chunk = staged;
            Path file = stagingDirectory.resolve("load-" + (filesWritten++) + ".sst");
            Loaded loaded = new Loaded(position, records, recordBytes, ingestPosition);
            inFlightBytes = stagedBytes;
            inFlight = resources.fileLoadThread().submit(() -> {
                writeAndIngest(chunk, file);
                return loaded;
            });
            startStaging();
        }
        return previous;
    }

    /** What the file in flight made visible if it is done (without waiting), or null. */
    Loaded completed() {
        return inFlight != null && inFlight.isDone() ? awaitInFlight() : null;
    }

    /**
     * Makes everything staged visible: hands the staged batches over (after the file in flight) and waits for
     * their file. Returns what became visible (the position of the last batch, the records of both files), or
     * null when nothing was staged or in flight.
     */
    Loaded ingest() {
        Loaded previous = handOff();
        Loaded last = awaitInFlight();
        return previous == null ? last : last == null ? previous : previous.then(last);
    }

    /**
     * Waits for the file in flight, through interrupts (kept for the caller): the store must not be closed under
     * an ingestion. Returns what it made visible, or null when none was in flight.
     */
    private Loaded awaitInFlight() {
        if (inFlight == null) {
            return null;
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return inFlight.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw fail(e.getCause() instanceof RuntimeException failure ? failure
                            : new IllegalStateException("a table file could not be loaded into " + stagingDirectory.getParent(), e.getCause()));
                }
            }
        } finally {
            inFlight = null;
            resources.fileLoadStaged(-inFlightBytes);
            inFlightBytes = 0;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Remembers the first failure and drops what is staged; returns {@code failure} to throw. */
    private RuntimeException fail(RuntimeException failure) {
        if (failed == null) {
            failed = failure;
        }
        discard();
        return failure;
    }

    private void refuseIfFailed() {
        if (failed != null) {
            throw new IllegalStateException("loading " + stagingDirectory.getParent() + " by table files failed before", failed);
        }
    }

    /** Whether a file or batch failed to load: the store stays at its last file's position. */
    boolean failed() {
        return failed != null;
    }

    /** Sorts the changes by key (keeping the one that wins for each), writes them as a table file and ingests it. */
    private void writeAndIngest(List<Staged> changes, Path file) {
        Staged[] sorted = changes.toArray(Staged[]::new);
        Arrays.sort(sorted, (a, b) -> {
            int byKey = Arrays.compareUnsigned(a.key(), b.key());
            return byKey != 0 ? byKey : Integer.compare(a.order(), b.order());
        });
        try (Options options = resources.newFileLoadOptions();
             EnvOptions env = new EnvOptions();
             SstFileWriter writer = new SstFileWriter(env, options);
             IngestExternalFileOptions ingest = new IngestExternalFileOptions().setMoveFiles(true)) {
            Files.createDirectories(stagingDirectory);
            writer.open(file.toString());
            // Keys and values go through direct buffers: handing arrays to the writer copied each across JNI
            // (15% of writing a file of 1 KiB values, measured against the same file written from arrays).
            ByteBuffer key = ByteBuffer.allocateDirect(1 << 10);
            ByteBuffer value = ByteBuffer.allocateDirect(64 << 10);
            int from = 0;
            while (from < sorted.length) {
                int to = from + 1;
                while (to < sorted.length && Arrays.equals(sorted[to].key(), sorted[from].key())) {
                    to++;
                }
                boolean outcome = sorted[from].key().length > 0 && sorted[from].key()[0] == IDEMPOTENCY_PREFIX;
                Staged kept = outcome ? sorted[from] : sorted[to - 1];
                if (outcome && db.get(kept.key()) != null) {
                    // The first outcome came in an earlier file, which was in flight when this one's was staged.
                    from = to;
                    continue;
                }
                if (kept.value() == null) {
                    writer.delete(kept.key());
                } else {
                    key = filled(key, kept.key());
                    value = filled(value, kept.value());
                    writer.put(key, value);
                }
                from = to;
            }
            writer.finish();
            db.ingestExternalFile(List.of(file.toString()), ingest);
        } catch (RocksDBException | java.io.IOException e) {
            throw new IllegalStateException("could not load a table file into the store from " + file, e);
        }
    }

    /** {@code buffer} (or a larger one, when it is too small) holding {@code bytes}, ready to be read. */
    private static ByteBuffer filled(ByteBuffer buffer, byte[] bytes) {
        ByteBuffer target = buffer.capacity() >= bytes.length ? buffer : ByteBuffer.allocateDirect(Integer.highestOneBit(bytes.length) << 1);
        target.clear();
        target.put(bytes).flip();
        return target;
    }

    /** Drops what is staged (the store stays at the position of the last ingestion). */
    void discard() {
        resources.fileLoadStaged(-stagedBytes);
        startStaging();
    }

    private void startStaging() {
        staged = new ArrayList<>();
        stagedBytes = 0;
        records = 0;
        recordBytes = 0;
        ingestPosition = 0;
        if (inFlight == null) {
            position = -1;
        }
    }

    /** Ends the load: what is still staged is dropped (ingest it first to keep it). */
    @Override
    public void close() {
        discard();
        try {
            awaitInFlight();
        } catch (RuntimeException e) {
            // Closing anyway: a failed file left the store at the position of the last ingestion.
        }
        resources.fileLoadEnded();
        StoreFiles.deleteRecursively(stagingDirectory);
    }
}
