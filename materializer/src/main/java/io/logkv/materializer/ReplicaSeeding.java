package io.logkv.materializer;

import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeding replica stores from {@link ReplicaSeeds} (snapshots) on a thread of its own, so that a download
 * never holds up the applier: the replicas being seeded, and whether each is still wanted when its seed
 * arrives.
 */
final class ReplicaSeeding {

    private static final Logger log = LoggerFactory.getLogger(ReplicaSeeding.class);

    /** Partitions whose store is being seeded before the replica opens. */
    private final Set<TopicPartition> seeding = ConcurrentHashMap.newKeySet();
    private final ExecutorService seeder = Executors.newSingleThreadExecutor(DaemonThreads.named("logkv-replica-seeding"));
    private volatile ReplicaSeeds seeds = ReplicaSeeds.NONE;

    void use(ReplicaSeeds seeds) {
        this.seeds = seeds;
    }

    /** Whether replicas that start from nothing are seeded (a snapshot store is configured). */
    boolean configured() {
        return seeds != ReplicaSeeds.NONE;
    }

    /** Whether stores that could resume are first offered a seed far enough ahead of them. */
    boolean reseedsStoresBehind() {
        return seeds.reseedsStoresBehind();
    }

    /** Whether the store of {@code tp} is being seeded. */
    boolean inProgress(TopicPartition tp) {
        return seeding.contains(tp);
    }

    /** Forgets the seeding of partitions no longer wanted; their seeds are deleted when they arrive. */
    void keepOnly(Set<TopicPartition> wanted) {
        seeding.removeIf(tp -> !wanted.contains(tp));
    }

    /**
     * Seeds {@code directory} (absent) for {@code tp} on the seeding thread, then hands the outcome to
     * {@code seeded} on that thread; a directory left without a seed is deleted first.
     *
     * @param resumePosition 0, or the position of the store the seed would replace
     */
    void start(TopicPartition tp, Path directory, long resumePosition, Consumer<ReplicaSeeds.Seeding> seeded) {
        seeding.add(tp);
        NamespaceName namespace = NamespaceName.ofTopic(tp.topic());
        ReplicaSeeds source = seeds;
        seeder.execute(() -> {
            ReplicaSeeds.Seeding result;
            try {
                result = source.seed(namespace, tp.partition(), directory, resumePosition);
            } catch (RuntimeException e) {
                result = ReplicaSeeds.Seeding.notSeeded("seeding failed: " + e.getMessage());
            }
            if (result.seeded()) {
                log.info("event=replica_seeded partition={} position={} from=\"{}\"", tp, result.position(), result.detail());
            } else {
                PartitionStore.deleteRecursively(directory);
                log.info("event=replica_not_seeded partition={} reason=\"{}\"", tp, result.detail());
            }
            seeded.accept(result);
        });
    }

    /** Ends the seeding of {@code tp}: true when the replica is still wanted, false when it was released meanwhile. */
    boolean finish(TopicPartition tp) {
        return seeding.remove(tp);
    }

    void shutdown() {
        seeder.shutdownNow();
    }
}
