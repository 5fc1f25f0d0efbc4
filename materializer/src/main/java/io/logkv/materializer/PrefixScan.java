package io.logkv.materializer;

import static io.logkv.materializer.StoreLayout.DATA_PREFIX;
import static io.logkv.materializer.StoreLayout.dataKey;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * A page of the keys a store holds under a prefix, in key order, with their envelope bytes as stored (expired
 * or not), from one consistent view of the store: what {@link LiveScan} pages through for live values.
 */
final class PrefixScan {

    private PrefixScan() {
    }

    /** See {@link PartitionStore#scan}; at {@code snapshot}, or at the store's state now when null. */
    static List<PartitionStore.StoredEntry> page(RocksDB db, Snapshot snapshot, byte[] prefix, byte[] after, int limit) {
        List<PartitionStore.StoredEntry> entries = new ArrayList<>(Math.min(limit, 1024));
        byte[] start = dataKey(after != null && StoreLayout.compare(after, prefix) > 0 ? after : prefix);
        try (ReadOptions read = new ReadOptions().setFillCache(false).setSnapshot(snapshot);
             RocksIterator it = db.newIterator(read)) {
            for (it.seek(start); it.isValid() && entries.size() < limit; it.next()) {
                byte[] stored = it.key();
                if (!StoreLayout.startsWith(stored, DATA_PREFIX, prefix)) {
                    break;
                }
                byte[] key = Arrays.copyOfRange(stored, 1, stored.length);
                if (after != null && StoreLayout.compare(key, after) <= 0) {
                    continue;
                }
                entries.add(new PartitionStore.StoredEntry(key, it.value()));
            }
            StoreFiles.checkIterated(it, "a scan of the store");
        }
        return entries;
    }
}
