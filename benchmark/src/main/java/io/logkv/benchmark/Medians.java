package io.logkv.benchmark;

import java.util.Arrays;

/** Medians of repeated measurements. */
public final class Medians {

    private Medians() {
    }

    /**
     * The median of the values that are numbers (NaN is "not measured" and left out): the middle one, or
     * the mean of the two middle ones when the count is even; NaN when none is left.
     */
    public static double of(double... values) {
        double[] known = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (known.length == 0) {
            return Double.NaN;
        }
        int middle = known.length / 2;
        return known.length % 2 == 1 ? known[middle] : (known[middle - 1] + known[middle]) / 2;
    }
}
