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

    /**
     * See {@link PartitionStore#scan}; at {@code snapshot}, or at the store's state now when null. The page also ends
     * before an entry that would bring its envelopes' bytes past {@code maxBytes}, unless it would be the page's first:
     * a page holds at least one entry when the store has one, so paging always moves on.
     */
    static Page page(RocksDB db, Snapshot snapshot, byte[] prefix, byte[] after, int limit, long maxBytes) {
        List<PartitionStore.StoredEntry> entries = new ArrayList<>(Math.min(limit, 1024));
        byte[] start = dataKey(after != null && StoreLayout.compare(after, prefix) > 0 ? after : prefix);
        long bytes = 0;
        boolean cut = false;
        try (ReadOptions read = new ReadOptions().setFillCache(false).setSnapshot(snapshot);
             RocksIterator it = db.newIterator(read)) {
            for (it.seek(start); it.isValid(); it.next()) {
                byte[] stored = it.key();
                if (!StoreLayout.startsWith(stored, DATA_PREFIX, prefix)) {
                    break;
                }
                byte[] key = Arrays.copyOfRange(stored, 1, stored.length);
                if (after != null && StoreLayout.compare(key, after) <= 0) {
                    continue;
                }
                if (entries.size() == limit) {
                    cut = true;
                    break;
                }
                byte[] envelope = it.value();
                if (!entries.isEmpty() && bytes + envelope.length > maxBytes) {
                    cut = true;
                    break;
                }
                bytes += envelope.length;
                entries.add(new PartitionStore.StoredEntry(key, envelope));
            }
            StoreFiles.checkIterated(it, "a scan of the store");
        }
        return new Page(entries, cut);
    }

    /**
     * Entries of a page, and whether the store holds more under the prefix after them (the page ended at its
     * limit of entries or of bytes with another entry to come).
     */
    record Page(List<PartitionStore.StoredEntry> entries, boolean more) {
    }
}
