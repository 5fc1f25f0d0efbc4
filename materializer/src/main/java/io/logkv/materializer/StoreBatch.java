package io.logkv.materializer;

import io.logkv.core.NodeTime;
import io.logkv.core.RecordEnvelope;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

import static io.logkv.materializer.StoreLayout.APPLIED_AT_KEY;
import static io.logkv.materializer.StoreLayout.DATA_PREFIX;
import static io.logkv.materializer.StoreLayout.IDEMPOTENCY_PREFIX;
import static io.logkv.materializer.StoreLayout.INGEST_POSITION_KEY;
import static io.logkv.materializer.StoreLayout.NOTHING;
import static io.logkv.materializer.StoreLayout.POSITION_KEY;
import static io.logkv.materializer.StoreLayout.expiryKey;
import static io.logkv.materializer.StoreLayout.expiryOf;

/**
 * Changes to one {@link PartitionStore}, applied atomically together with the position they lead to: values
 * with their expiry index entries, first outcomes of idempotent writes, the ingest position. Get one from
 * {@link PartitionStore#newBatch()} (its type there is {@link PartitionStore.Batch}).
 */
public abstract sealed class StoreBatch implements AutoCloseable permits PartitionStore.Batch {

    private final SerializedBatch batch = new SerializedBatch();
    private final RocksDB db;
    private final StoreResources resources;
    private final Path directory;
    private final UnaryOperator<byte[]> storedOutcome;
    private final NodeTime time;
    private Set<ByteBuffer> rememberedHere;

    /**
     * @param storedOutcome the store's first outcome for an idempotency key, or null
     * @param time          whose {@link NodeTime#nowMs()} a commit records as when the store last applied
     */
    StoreBatch(RocksDB db, StoreResources resources, Path directory, UnaryOperator<byte[]> storedOutcome, NodeTime time) {
        this.db = db;
        this.resources = resources;
        this.directory = directory;
        this.storedOutcome = storedOutcome;
        this.time = time;
    }

    /** Stores a value (an envelope); one with an expiry gets its entry in the expiry index. */
    public void put(byte[] key, byte[] envelope) {
        batch.put(DATA_PREFIX, key, envelope);
        long expiresAt = expiryOf(envelope);
        if (expiresAt != RecordEnvelope.NO_EXPIRY) {
            batch.put(expiryKey(expiresAt, key, 0), NOTHING);
        }
    }

    /** Drops the expiry index's entry for {@code key} expiring at {@code expiresAtMs}. */
    public void forgetExpiry(long expiresAtMs, byte[] key) {
        batch.delete(expiryKey(expiresAtMs, key, 0));
    }

    public void delete(byte[] key) {
        batch.delete(DATA_PREFIX, key);
    }

    /** Records how far the partition's ingest topic has been applied (kept with the data). */
    public void ingestPosition(long position) {
        batch.put(INGEST_POSITION_KEY, StoreLayout.encodeLong(position));
    }

    /** Remembers the first outcome of a write that carried an idempotency key (the first one wins). */
    public void rememberOutcome(byte[] idempotencyKey, byte[] outcome) {
        if (storedOutcome.apply(idempotencyKey) == null && rememberedHere().add(ByteBuffer.wrap(idempotencyKey))) {
            batch.put(IDEMPOTENCY_PREFIX, idempotencyKey, outcome);
        }
    }

    /** Idempotency keys whose outcome this batch remembers: a later one in the same batch must not replace it. */
    private Set<ByteBuffer> rememberedHere() {
        if (rememberedHere == null) {
            rememberedHere = new HashSet<>();
        }
        return rememberedHere;
    }

    /** Writes the changes and the new applied position in one atomic batch. */
    public void commit(long position) {
        batch.put(POSITION_KEY, StoreLayout.encodeLong(position));
        batch.put(APPLIED_AT_KEY, StoreLayout.encodeLong(time.nowMs()));
        write();
    }

    /**
     * Stages the changes and the position they lead to in a load by table files, instead of writing them:
     * they become visible when the load is ingested ({@link FileLoad#ingest}).
     *
     * @param records        log records the changes apply
     * @param recordBytes    their key and value bytes
     * @param ingestPosition the ingest position they move to, or 0
     */
    void stage(FileLoad load, long position, int records, long recordBytes, long ingestPosition) {
        batch.put(POSITION_KEY, StoreLayout.encodeLong(position));
        batch.put(APPLIED_AT_KEY, StoreLayout.encodeLong(time.nowMs()));
        load.stage(batch, position, records, recordBytes, ingestPosition);
    }

    /** Writes the changes alone: for index upkeep that leads to no new position. */
    public void commitWithoutPosition() {
        write();
    }

    private void write() {
        try (WriteBatch serialized = batch.toWriteBatch()) {
            db.write(resources.writeOptions(), serialized);
        } catch (RocksDBException e) {
            throw new IllegalStateException("replica write failed in " + directory, e);
        }
    }

    @Override
    public void close() {
        // Nothing native is held until a commit, which releases what it made.
    }
}
