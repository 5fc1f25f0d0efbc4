package io.logkv.mirror;

import java.util.Arrays;
import java.util.Set;

/**
 * When the mirror last found each partition of its topic read to the source's end, with a fresh answer of the source's
 * brokers ({@link MirrorTransaction}'s rule): how current the copy is, which is what the home lease's renewal goes by
 * ({@link HomeLeaseGrants#dueGrant}). Known only from polls since the last resume. Mirror's thread only.
 */
final class CopyCurrency {

    private long[] caughtUpAtMs = new long[0];

    /** After a resume: no partition known read to its end yet. */
    void resetTo(int partitions) {
        caughtUpAtMs = new long[partitions];
        Arrays.fill(caughtUpAtMs, -1);
    }

    /** A poll at {@code polledAtMs} found {@code partitions} read to their end. */
    void caughtUp(Set<Integer> partitions, long polledAtMs) {
        for (int partition : partitions) {
            if (partition < caughtUpAtMs.length) {
                caughtUpAtMs[partition] = polledAtMs;
            }
        }
    }

    /** The oldest of the partitions' latest times read to the end: the copy held every source record then; -1 unknown. */
    long completeAsOfMs() {
        return caughtUpAtMs.length == 0 ? -1 : Arrays.stream(caughtUpAtMs).min().orElse(-1);
    }
}
