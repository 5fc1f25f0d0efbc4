package io.logkv.benchmark;

import io.logkv.materializer.PartitionStore;
import io.logkv.compactor.snapshot.DirectorySnapshotStore;
import io.logkv.compactor.snapshot.ReplicaSnapshots;
import io.logkv.compactor.snapshot.SnapshotSettings;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.ReplicaSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A replica bootstrapped from a snapshot instead of the whole log: {@link #prepare} replays the topic once
 * (untimed) and snapshots every partition into a snapshot directory; {@link #bootstrap} then times an empty
 * node seeding its replicas from those snapshots and catching up with the log's end. The topic gets no
 * writes after the snapshots, so the tail is empty: the time is the copy, the check of each copy against
 * its manifest (a full read for the digest), and the first fetches. A tail adds its records at the replay
 * rate.
 */
final class SnapshotBootstrap {

    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final Duration MAX_AGE = Duration.ofHours(20);

    private final String bootstrapServers;
    private final Path workDir;
    private final Path snapshots;
    private int runs;

    SnapshotBootstrap(String bootstrapServers, Path workDir) {
        this.bootstrapServers = bootstrapServers;
        this.workDir = workDir;
        this.snapshots = workDir.resolve("snapshots");
    }

    /** Replays the topic into a scratch node and snapshots each of its partitions (not timed). */
    void prepare(LoadedTopic topic) {
        Path dataDir = workDir.resolve("snapshot-source-" + topic.namespace());
        LocalReplicas replicas = new LocalReplicas(settings(dataDir), new SimpleMeterRegistry());
        try {
            replicas.replicate(topic.namespace(), topic.partitions()).join();
            awaitCaughtUp(replicas, topic, Long.MAX_VALUE);
            ReplicaSnapshots taker = snapshots(replicas, dataDir);
            for (PartitionReplica replica : replicas.replicas(topic.namespace())) {
                taker.take(replica);
            }
        } finally {
            replicas.close();
            PartitionStore.deleteRecursively(dataDir);
        }
    }

    /** Times an empty node seeding every replica of the topic from its snapshot and catching up. */
    Measurement bootstrap(LoadedTopic topic) {
        Path dataDir = workDir.resolve("seeded-" + topic.namespace() + "-" + (++runs));
        CpuSample cpu = CpuSample.take();
        long started = System.nanoTime();
        LocalReplicas replicas = new LocalReplicas(settings(dataDir), new SimpleMeterRegistry());
        try (ReplicaSnapshots seeds = snapshots(replicas, dataDir)) {
            replicas.seedFrom(seeds);
            replicas.replicate(topic.namespace(), topic.partitions()).join();
            long firstReady = awaitCaughtUp(replicas, topic, started);
            long nanos = System.nanoTime() - started;
            if (replicas.replicas(topic.namespace()).stream().anyMatch(r -> !r.origin().startsWith("snapshot"))) {
                throw new IllegalStateException("a replica was not seeded from its snapshot: "
                        + replicas.replicas(topic.namespace()).stream().map(PartitionReplica::origin).toList());
            }
            return new Measurement(topic.records(), topic.payloadBytes(), nanos, firstReady - started, CpuSample.since(cpu, nanos));
        } finally {
            replicas.close();
            PartitionStore.deleteRecursively(dataDir);
        }
    }

    private ReplicaSnapshots snapshots(LocalReplicas replicas, Path dataDir) {
        return new ReplicaSnapshots(new DirectorySnapshotStore(snapshots), replicas, Set::of,
                new SnapshotSettings(Duration.ZERO, 1, MAX_AGE, dataDir.resolve("snapshot-work"), 0), new SimpleMeterRegistry(),
                System::currentTimeMillis);
    }

    private ReplicaSettings settings(Path dataDir) {
        return new ReplicaSettings(bootstrapServers, "spike-seeded", dataDir, 256L << 20, 64L << 20, 64L << 10,
                ReaderSettings.MAX_POLL_RECORDS, 10_000, MAX_AGE);
    }

    /**
     * Waits until every partition has a replica that holds the log's end with nothing to apply; returns when
     * the first replica opened ({@code since} unchanged if none did before the end).
     */
    private static long awaitCaughtUp(LocalReplicas replicas, LoadedTopic topic, long since) {
        long started = System.nanoTime();
        long firstOpened = 0;
        while (true) {
            if (replicas.failure() != null) {
                throw new IllegalStateException("replica applier failed", replicas.failure());
            }
            List<PartitionReplica> all = replicas.replicas(topic.namespace());
            if (firstOpened == 0 && !all.isEmpty()) {
                firstOpened = System.nanoTime();
            }
            if (all.size() == topic.partitions() && all.stream().allMatch(r -> r.lagRecords() == 0 && r.appliedPosition() > 0)) {
                return firstOpened == 0 ? since : firstOpened;
            }
            if (System.nanoTime() - started > TIMEOUT.toNanos()) {
                throw new IllegalStateException("replicas of " + topic.namespace() + " not caught up in " + TIMEOUT);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}
