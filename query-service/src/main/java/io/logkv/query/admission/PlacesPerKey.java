package io.logkv.query.admission;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Places per key (a client, a namespace), at most {@code max} of them taken at once for each key. A key with no place
 * taken holds no entry, so keys that come and go (clients by address) leave nothing behind. Thread-safe.
 */
public final class PlacesPerKey {

    private final int max;
    private final ConcurrentHashMap<String, Integer> taken = new ConcurrentHashMap<>();

    public PlacesPerKey(int max) {
        this.max = max;
    }

    /** The places each key may take at once. */
    public int max() {
        return max;
    }

    /** Takes a place of {@code key}: false, and nothing taken, when its places are all taken. */
    public boolean take(String key) {
        boolean[] took = new boolean[1];
        taken.compute(key, (ignored, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            took[0] = true;
            return current + 1;
        });
        return took[0];
    }

    /** Gives back a place {@link #take} took. */
    public void give(String key) {
        taken.computeIfPresent(key, (ignored, count) -> count <= 1 ? null : count - 1);
    }
}
