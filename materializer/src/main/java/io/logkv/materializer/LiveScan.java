package io.logkv.materializer;

import io.logkv.core.RecordEnvelope;
import java.util.ArrayList;
import java.util.List;

/**
 * A page of a prefix scan over a replica's store: live values only, expired ones skipped without counting; every
 * page of stored entries it goes through from one view of the store.
 */
final class LiveScan {

    private LiveScan() {
    }

    /** See {@link PartitionReplica#scan}. */
    static PartitionReplica.ScannedPage page(PartitionStore.View store, byte[] prefix, byte[] after, int limit, long maxValueBytes,
                                             long nowMs, long position) {
        if (limit < 1) {
            throw new IllegalArgumentException("a page holds at least one key, not " + limit);
        }
        List<PartitionReplica.ScannedValue> live = new ArrayList<>();
        long valueBytes = 0;
        byte[] from = after;
        while (true) {
            // Stored envelopes are at least as long as their values: a page of them within what is left holds no more.
            PrefixScan.Page page = store.scan(prefix, from, limit - live.size(), Math.max(1, maxValueBytes - valueBytes));
            for (PartitionStore.StoredEntry entry : page.entries()) {
                RecordEnvelope envelope = RecordEnvelope.decode(entry.envelope());
                if (envelope.isExpiredAt(nowMs)) {
                    from = entry.key();
                    continue;
                }
                if (!live.isEmpty() && valueBytes + envelope.value().length > maxValueBytes) {
                    return new PartitionReplica.ScannedPage(live, position, true);
                }
                live.add(new PartitionReplica.ScannedValue(entry.key(), envelope));
                valueBytes += envelope.value().length;
                from = entry.key();
            }
            if (!page.more()) {
                return new PartitionReplica.ScannedPage(live, position, false);
            }
            if (live.size() == limit || valueBytes >= maxValueBytes) {
                return new PartitionReplica.ScannedPage(live, position, true);
            }
        }
    }
}
