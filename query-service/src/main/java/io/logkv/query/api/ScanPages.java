package io.logkv.query.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * A scan's page merged from its partitions' pages, in key order. A partition's page that ended at its limit of keys
 * or of bytes says nothing of the keys after its last: the merged page stops at the least such last key, so that
 * the continuation skips no key of any partition, and at the page's limit of keys.
 */
final class ScanPages {

    private ScanPages() {
    }

    static <T> Merged<T> merge(List<Part<T>> parts, Function<T, byte[]> keyOf, int limit) {
        Comparator<byte[]> bytewise = Arrays::compareUnsigned;
        List<T> all = new ArrayList<>();
        byte[] cut = null;
        for (Part<T> part : parts) {
            all.addAll(part.items());
            if (part.more() && !part.items().isEmpty()) {
                byte[] last = keyOf.apply(part.items().get(part.items().size() - 1));
                if (cut == null || bytewise.compare(last, cut) < 0) {
                    cut = last;
                }
            }
        }
        all.sort(Comparator.comparing(keyOf, bytewise));
        int end = all.size();
        while (cut != null && end > 0 && bytewise.compare(keyOf.apply(all.get(end - 1)), cut) > 0) {
            end--;
        }
        end = Math.min(end, limit);
        boolean more = cut != null || end < all.size();
        return new Merged<>(List.copyOf(all.subList(0, end)), more && end > 0);
    }

    /** One partition's page: its keys in key order, and whether the partition may hold more after the last. */
    record Part<T>(List<T> items, boolean more) {
    }

    /** The page: its keys, and whether a next page may hold more (it then continues after the last). */
    record Merged<T>(List<T> items, boolean more) {
    }
}
