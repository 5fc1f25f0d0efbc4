package io.logkv.benchmark;

import java.util.SplittableRandom;

/** The values every case writes and reads, so all of them move the same bytes. */
final class Values {

    private Values() {
    }

    /**
     * Half random bytes, half a repeated pattern: a value that compresses about 2:1, like typical JSON
     * (as {@link TruthTopicLoader} writes), rather than the best or the worst case for LZ4.
     */
    static byte[] of(int size, long seed) {
        return of(size, new SplittableRandom(seed));
    }

    /** The same, drawing the random half from {@code random} (for loaders writing many values). */
    static byte[] of(int size, SplittableRandom random) {
        byte[] value = new byte[size];
        for (int i = 0; i < size / 2; i++) {
            value[i] = (byte) random.nextInt(256);
        }
        for (int i = size / 2; i < size; i++) {
            value[i] = (byte) ('a' + i % 16);
        }
        return value;
    }
}
