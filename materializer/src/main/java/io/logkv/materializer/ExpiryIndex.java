package io.logkv.materializer;

import static io.logkv.materializer.StoreLayout.DATA_PREFIX;
import static io.logkv.materializer.StoreLayout.EXPIRY_INDEX_V1;
import static io.logkv.materializer.StoreLayout.EXPIRY_INDEX_VERSION_KEY;
import static io.logkv.materializer.StoreLayout.EXPIRY_PREFIX;
import static io.logkv.materializer.StoreLayout.NOTHING;
import static io.logkv.materializer.StoreLayout.expiryKey;
import static io.logkv.materializer.StoreLayout.expiryOf;

import io.logkv.core.RecordEnvelope;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * A store's expiry index (see {@link PartitionStore}): built once for a store written before there was one,
 * and read soonest first by the compactor. Its entries are written with the values, in
 * {@link PartitionStore.Batch}.
 */
final class ExpiryIndex {

    private ExpiryIndex() {
    }

    /**
     * Builds the expiry index of a store written before there was one (a scan of every value, once), and
     * marks the store as indexed; for a new store only the mark.
     */
    static void build(RocksDB db, StoreResources resources) throws RocksDBException {
        try (ReadOptions read = new ReadOptions().setFillCache(false);
             RocksIterator it = db.newIterator(read);
             WriteBatch batch = new WriteBatch()) {
            for (it.seek(new byte[] {DATA_PREFIX}); it.isValid() && it.key()[0] == DATA_PREFIX; it.next()) {
                long expiresAt = expiryOf(it.value());
                if (expiresAt != RecordEnvelope.NO_EXPIRY) {
                    batch.put(expiryKey(expiresAt, it.key(), 1), NOTHING);
                }
            }
            it.status();
            batch.put(EXPIRY_INDEX_VERSION_KEY, EXPIRY_INDEX_V1);
            db.write(resources.writeOptions(), batch);
        }
    }

    /** Entries due at {@code nowMs}, soonest first, at most {@code limit}. */
    static List<PartitionStore.ExpiryEntry> due(RocksDB db, long nowMs, int limit) {
        List<PartitionStore.ExpiryEntry> due = new ArrayList<>();
        try (ReadOptions read = new ReadOptions().setFillCache(false);
             RocksIterator it = db.newIterator(read)) {
            for (it.seek(new byte[] {EXPIRY_PREFIX}); it.isValid() && due.size() < limit; it.next()) {
                byte[] entry = it.key();
                if (entry[0] != EXPIRY_PREFIX) {
                    break;
                }
                long expiresAt = StoreLayout.expiryOfIndexKey(entry);
                if (expiresAt > nowMs) {
                    break;
                }
                due.add(new PartitionStore.ExpiryEntry(expiresAt, StoreLayout.keyOfIndexKey(entry)));
            }
            StoreFiles.checkIterated(it, "the expiry index");
        }
        return due;
    }

    /**
     * Drops the entries of a replica's index that their values have outlived (the key was rewritten or deleted
     * since); in a command on the applier's polling thread only, where no write can slip in between the check and the drop.
     *
     * @return how many entries were dropped
     */
    static int forgetOutlived(PartitionReplica replica, List<PartitionStore.ExpiryEntry> entries) {
        int dropped = 0;
        try (PartitionStore.Batch changes = replica.store().newBatch()) {
            for (PartitionStore.ExpiryEntry entry : entries) {
                RecordEnvelope value = replica.read(entry.key());
                if (value == null || value.expiresAtMs() != entry.expiresAtMs()) {
                    changes.forgetExpiry(entry.expiresAtMs(), entry.key());
                    dropped++;
                }
            }
            changes.commitWithoutPosition();
        }
        return dropped;
    }
}
