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
    static List<PartitionReplica.ScannedValue> page(PartitionStore.View store, byte[] prefix, byte[] after, int limit, long nowMs) {
        List<PartitionReplica.ScannedValue> live = new ArrayList<>();
        byte[] from = after;
        while (live.size() < limit) {
            int wanted = limit - live.size();
            List<PartitionStore.StoredEntry> page = store.scan(prefix, from, wanted);
            for (PartitionStore.StoredEntry entry : page) {
                RecordEnvelope envelope = RecordEnvelope.decode(entry.envelope());
                if (!envelope.isExpiredAt(nowMs)) {
                    live.add(new PartitionReplica.ScannedValue(entry.key(), envelope));
                }
                from = entry.key();
            }
            if (page.size() < wanted) {
                break; // the store has no more such keys
            }
        }
        return live;
    }
}
