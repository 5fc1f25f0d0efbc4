package io.logkv.mirror;

import io.logkv.core.MirrorPosition;
import io.logkv.core.NamespaceName;
import io.logkv.writer.KafkaUnavailableException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * How far the mirror from the old home has carried a namespace's log into the new home, as its positions in the
 * new home's positions topic say: what a promotion waits for before it hands the home over (step 3), and what it
 * reports as the copy's age when it cannot wait (forced).
 */
final class CarriedPositions {

    private final MirrorSettings settings;
    private final NamespaceName namespace;
    private final PositionsTopic positions;

    /** The positions in the new home, the cluster {@code newAdmin} reaches. */
    CarriedPositions(Admin newAdmin, MirrorSettings settings, NamespaceName namespace) {
        this.settings = settings;
        this.namespace = namespace;
        this.positions = new PositionsTopic(newAdmin, settings.targetKafka(), settings);
    }

    /**
     * Waits until the mirror's positions in the new home cover every old home's record below {@code oldEnds}
     * (unless the new home is home already: then the mirror into it has stopped). Returns the first source offset
     * of each partition that the mirror has not carried.
     *
     * @throws KafkaUnavailableException when the mirror has not carried them within {@code drainTimeout}
     */
    Map<Integer, Long> awaitCarried(Map<Integer, Long> oldEnds, boolean alreadyHome, Duration drainTimeout,
                                    PromotionProgress progress) throws InterruptedException {
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        long nextReport = 0;
        while (true) {
            Map<Integer, MirrorPosition> carried = carried();
            Map<Integer, Long> missing = new TreeMap<>();
            oldEnds.forEach((partition, end) -> {
                MirrorPosition position = carried.get(partition);
                long next = position == null ? 0 : position.nextSourceOffset();
                if (next < end) {
                    missing.put(partition, end - next);
                }
            });
            if (missing.isEmpty() || alreadyHome) {
                // Once promoted, the new home takes nothing more from the old one.
                Map<Integer, Long> next = new TreeMap<>();
                oldEnds.keySet().forEach(partition -> next.put(partition,
                        carried.containsKey(partition) ? carried.get(partition).nextSourceOffset() : 0L));
                return next;
            }
            if (System.nanoTime() > deadline) {
                throw new KafkaUnavailableException("the mirror did not carry the log of " + namespace + " from region "
                        + settings.sourceRegion() + " within " + drainTimeout.toSeconds() + " s (offsets still to carry: " + missing
                        + "); is the mirror running? Region " + settings.sourceRegion() + " already refuses writes: run the promotion"
                        + " again to finish it", null);
            }
            if (System.nanoTime() > nextReport) {
                progress.say("    waiting for the mirror to carry the rest of the log: " + missing + " (offsets, by partition)");
                nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            }
            Thread.sleep(200);
        }
    }

    /** Where the mirror into the new home ended each partition: the new home's offset after the last record it copied. */
    Map<Integer, Long> carriedEnds(int partitions) {
        Map<Integer, MirrorPosition> carried = carried();
        Map<Integer, Long> ends = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            MirrorPosition position = carried.get(p);
            ends.put(p, position == null ? 0 : position.lastTargetOffset() + 1);
        }
        return ends;
    }

    /** How old the new home's copy is: now minus the oldest time the mirror found a partition read to its end; -1 unknown. */
    long copyLagMs() {
        long oldest = carried().values().stream().mapToLong(MirrorPosition::caughtUpAtMs).min().orElse(-1);
        return oldest < 0 ? -1 : Math.max(0, System.currentTimeMillis() - oldest);
    }

    /** The mirror's committed positions of the namespace's partitions, by partition. */
    private Map<Integer, MirrorPosition> carried() {
        return positions.read(settings.sourceRegion(), namespace.truthTopic());
    }
}
