package io.logkv.materializer;

import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.Snapshot;

/**
 * The frozen contents of a store ({@link PartitionStore#snapshot()}): later writes do not change what its
 * digest sees. Close it to let RocksDB drop what only it still holds.
 */
public final class ContentSnapshot implements AutoCloseable {

    private final RocksDB db;
    private final Snapshot snapshot;

    ContentSnapshot(RocksDB db, Snapshot snapshot) {
        this.db = db;
        this.snapshot = snapshot;
    }

    /** SHA-256 over every (key length, value length, key, value) of the data keys, in key order. */
    public String digest() {
        try (ReadOptions read = new ReadOptions().setSnapshot(snapshot).setFillCache(false)) {
            return StoreFiles.digestOf(db, read);
        }
    }

    @Override
    public void close() {
        db.releaseSnapshot(snapshot);
    }
}
