package io.logkv.benchmark;

import io.logkv.materializer.PartitionStore;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.ReplicaSettings;
import io.logkv.testkit.Pauses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * LogKV's own rebuild: {@link LocalReplicas} replaying a namespace into an empty data directory, which
 * is what a node does after losing its disk. Timed from creating the replicas to every partition being
 * caught up with the committed end and holding every record.
 */
final class ReplicaReplay {

    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    // LogKV's defaults (query-service ReplicaProperties).
    private static final long BLOCK_CACHE_BYTES = 256L * 1024 * 1024;
    private static final long WRITE_BUFFER_BYTES = 64L * 1024 * 1024;
    private static final long MIN_BLOB_BYTES = 64L * 1024;
    private static final int MAX_WAITERS = 10_000;

    private final String bootstrapServers;
    private final Path workDir;
    private int runs;

    ReplicaReplay(String bootstrapServers, Path workDir) {
        this.bootstrapServers = bootstrapServers;
        this.workDir = workDir;
    }

    Measurement replay(LoadedTopic topic) {
        Path dataDir = workDir.resolve("replicas-" + topic.namespace() + "-" + (++runs));
        ReplicaSettings settings = new ReplicaSettings(bootstrapServers, "spike-replay", dataDir, BLOCK_CACHE_BYTES,
                WRITE_BUFFER_BYTES, MIN_BLOB_BYTES, ReaderSettings.MAX_POLL_RECORDS, MAX_WAITERS, java.time.Duration.ofHours(20));
        Progress progress = new Progress("LogKV replay", topic.records());
        CpuSample cpu = CpuSample.take();
        long started = System.nanoTime();
        long nanos;
        CpuSample.Use cpuUse;
        long applied;
        long firstRecord = 0;
        LocalReplicas replicas = new LocalReplicas(settings, new SimpleMeterRegistry());
        try {
            replicas.replicate(topic.namespace(), topic.partitions()).join();
            while (true) {
                if (replicas.failure() != null) {
                    throw new IllegalStateException("replica applier failed", replicas.failure());
                }
                List<PartitionReplica> all = replicas.replicas(topic.namespace());
                applied = all.stream().mapToLong(PartitionReplica::appliedSinceOpen).sum();
                if (firstRecord == 0 && applied > 0) {
                    // Seen by polling every 10 ms, so up to 10 ms late.
                    firstRecord = System.nanoTime();
                }
                if (applied == topic.records() && all.stream().allMatch(r -> r.lagRecords() == 0)) {
                    nanos = System.nanoTime() - started;
                    cpuUse = CpuSample.since(cpu, nanos);
                    break;
                }
                if (System.nanoTime() - started > TIMEOUT.toNanos()) {
                    throw new IllegalStateException("replay applied " + applied + " of " + topic.records() + " in " + TIMEOUT);
                }
                progress.update(applied);
                Pauses.sleepOrFail(10);
            }
        } finally {
            // Closing flushes memtables to disk; that is not part of catching up, so it is not timed.
            replicas.close();
            PartitionStore.deleteRecursively(dataDir);
        }
        return new Measurement(applied, Math.round(applied * topic.bytesPerRecord()), nanos, firstRecord - started, cpuUse);
    }
}
