package io.logkv.benchmark;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Key indexes with a Zipf-like skew: rank r (1 = hottest) is drawn with probability roughly proportional
 * to 1 / r^s, by inverting the continuous power law over [1, n + 1). Ranks are then scattered over the
 * key space by a fixed multiplicative hash, so the hot keys fall in different partitions.
 */
final class ZipfKeys {

    private static final long SCATTER = 0x9E3779B97F4A7C15L;

    private final long keys;
    private final double oneMinusS;
    private final double span;

    /**
     * @param keys     the number of keys, indexes 0 to keys - 1
     * @param exponent the skew s (0.99 is the usual "Zipfian" of YCSB); must not be 1
     */
    ZipfKeys(long keys, double exponent) {
        if (keys < 1 || exponent <= 0 || exponent == 1.0) {
            throw new IllegalArgumentException("need at least one key and an exponent > 0 other than 1");
        }
        this.keys = keys;
        this.oneMinusS = 1 - exponent;
        this.span = Math.pow(keys + 1.0, oneMinusS) - 1;
    }

    /** The rank of a draw: 1 for the hottest key. */
    long nextRank() {
        double u = ThreadLocalRandom.current().nextDouble();
        long rank = (long) Math.pow(1 + u * span, 1 / oneMinusS);
        return Math.min(keys, Math.max(1, rank));
    }

    /** The key index of a draw. */
    long next() {
        return Math.floorMod((nextRank() - 1) * SCATTER, keys);
    }
}
