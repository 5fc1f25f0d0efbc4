package io.logkv.query.read;

import io.logkv.core.NamespaceName;
import java.util.Arrays;

/**
 * How often each key was requested, estimated in fixed memory: 16,384 counters (64 KiB), a key's count kept in
 * the one its hash picks. A key's estimate includes every other key that shares its counter, so it is above
 * its true count by their requests; it may also be below it by a few, since counters are increased without a
 * lock (two threads that add to one counter at the same instant may count once). Both are fine for what it is
 * for: telling the few keys worth counting exactly from the many that are not ({@link HotKeys}).
 */
final class RequestSketch {

    private static final int BITS = 14;
    private static final int MASK = (1 << BITS) - 1;

    private final int[] counters = new int[1 << BITS];

    /** Counts one request of {@code key} and returns its estimated count so far, this one included. */
    int add(NamespaceName namespace, byte[] key) {
        int index = (int) mix(31L * namespace.hashCode() + Arrays.hashCode(key)) & MASK;
        int count = counters[index] + 1;
        counters[index] = count;
        return count;
    }

    /** Forgets every count. */
    void clear() {
        Arrays.fill(counters, 0);
    }

    /** Spreads a hash over 64 bits (the finalizer of MurmurHash3), so that the low bits depend on all of it. */
    private static long mix(long hash) {
        long h = hash;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb53fe63a9a85L;
        h ^= h >>> 33;
        return h;
    }
}
