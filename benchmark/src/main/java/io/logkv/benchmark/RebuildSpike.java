package io.logkv.benchmark;

import io.logkv.materializer.PartitionStore;
import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides how LogKV materializes partitions by measuring a rebuild three ways on the same truth topic:
 * a raw read_committed consumer (the floor), LogKV's {@code LocalReplicas} replaying into empty RocksDB
 * stores, and a Kafka Streams KTable restoring its RocksDB store from the topic.
 *
 * <p>Cases run interleaved within each repetition (raw, LogKV, Streams, then again), so drift in a
 * shared machine's load spreads over all of them instead of penalising whichever ran last. Settings are
 * system properties, see {@link SpikeSettings}. Run with
 * {@code mvn -q -B -pl benchmark compile exec:java} (add {@code -Dspike.records=...} and so on), or with
 * {@code java -cp} and the module's classpath. Recorded in docs/adr/0001-materializer-plain-consumers.md.
 */
public final class RebuildSpike {

    private static final String RAW = "raw consumer (baseline)";
    private static final String LOGKV = "LogKV LocalReplicas replay";
    private static final String LOGKV_LOOP = "diagnostic: the apply loop through the memtable, one thread, with timers";
    private static final String LOGKV_SNAPSHOT = "LogKV bootstrap from snapshot (empty tail)";

    private RebuildSpike() {
    }

    public static void main(String[] args) throws IOException {
        SpikeSettings settings = SpikeSettings.fromSystemProperties();
        Path workDir = settings.workDir() != null ? Files.createDirectories(settings.workDir())
                : Files.createTempDirectory("logkv-rebuild-spike");
        System.out.println("# LogKV rebuild spike");
        System.out.print(MachineDescription.describe());
        System.out.println("- Settings: " + settings.asProperties());
        System.out.println("- Kafka: 3 in-process KRaft brokers (RF 3, min ISR 2) in this same JVM, sharing its cores");
        System.out.println("- Work dir: " + workDir);
        List<CaseRuns> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        System.out.println("starting a 3-broker Kafka cluster…");
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3)) {
            String bootstrap = cluster.bootstrapServers();
            TruthTopicLoader loader = new TruthTopicLoader(bootstrap, cluster.admin());
            RawConsumerScan raw = new RawConsumerScan(bootstrap);
            ReplicaReplay replay = new ReplicaReplay(bootstrap, workDir);
            StreamsTableRestore streams = new StreamsTableRestore(bootstrap, cluster.admin(), workDir);
            ReplayCostBreakdown breakdown = new ReplayCostBreakdown(bootstrap, workDir);
            SnapshotBootstrap seeded = new SnapshotBootstrap(bootstrap, workDir);
            for (long size : settings.sizes()) {
                LoadedTopic topic = loader.load(new NamespaceName("spike-" + size), settings.partitions(), size, settings.valueBytes());
                Measurement build = streams.build(topic);
                seeded.prepare(topic);
                notes.add(String.format("Streams first build of %,d records by processing (not a restore, one run): %.2f s, %,.0f records/s",
                        size, build.seconds(), build.recordsPerSecond()));
                for (int warmUp = 1; warmUp <= settings.warmUps() && size == settings.sizes().get(0); warmUp++) {
                    // Untimed: the JIT compiles the consumer, RocksDB and Streams paths before the first timed run.
                    System.out.printf("warm-up %d of %d (not timed)%n", warmUp, settings.warmUps());
                    raw.scan(topic);
                    replay.replay(topic);
                    breakdown.replay(topic);
                    seeded.bootstrap(topic);
                    streams.restore(topic, settings.streamThreads().get(0));
                }
                Map<String, CaseRuns> cases = new LinkedHashMap<>();
                cases.put(RAW, new CaseRuns(RAW, size));
                cases.put(LOGKV, new CaseRuns(LOGKV, size));
                cases.put(LOGKV_LOOP, new CaseRuns(LOGKV_LOOP, size));
                cases.put(LOGKV_SNAPSHOT, new CaseRuns(LOGKV_SNAPSHOT, size));
                for (int threads : settings.streamThreads()) {
                    cases.put(streamsTotal(threads), new CaseRuns(streamsTotal(threads), size));
                    cases.put(streamsRestoreOnly(threads), new CaseRuns(streamsRestoreOnly(threads), size));
                }
                List<ReplayCostBreakdown.Breakdown> splits = new ArrayList<>();
                int suspensions = 0;
                for (int run = 1; run <= settings.repeats(); run++) {
                    System.out.printf("%,d records, run %d of %d%n", size, run, settings.repeats());
                    cases.get(RAW).add(report(RAW, raw.scan(topic)));
                    cases.get(LOGKV).add(report(LOGKV, replay.replay(topic)));
                    ReplayCostBreakdown.Breakdown split = breakdown.replay(topic);
                    splits.add(split);
                    cases.get(LOGKV_LOOP).add(report(LOGKV_LOOP, split.total()));
                    cases.get(LOGKV_SNAPSHOT).add(report(LOGKV_SNAPSHOT, seeded.bootstrap(topic)));
                    System.out.println("    " + split.describe());
                    for (int threads : settings.streamThreads()) {
                        StreamsTableRestore.Restore restore = streams.restore(topic, threads);
                        cases.get(streamsTotal(threads)).add(report(streamsTotal(threads), restore.fromStart()));
                        cases.get(streamsRestoreOnly(threads)).add(report(streamsRestoreOnly(threads), restore.restoreOnly()));
                        if (restore.suspensions() > 0) {
                            System.out.printf("    a rebalance suspended %d partition restores%n", restore.suspensions());
                            suspensions += restore.suspensions();
                        }
                    }
                }
                results.addAll(cases.values());
                Measurement medianLoop = cases.get(LOGKV_LOOP).median();
                splits.stream().filter(split -> split.total().equals(medianLoop)).findFirst().ifPresent(split ->
                        notes.add(String.format("Where the median instrumented replay of %,d records spent its %.2f s: %s",
                                size, split.total().seconds(), split.describe())));
                notes.add(String.format("Streams restores of %,d records interrupted by a rebalance: %d", size, suspensions));
            }
        } finally {
            PartitionStore.deleteRecursively(workDir);
        }
        System.out.println();
        System.out.println("## Results (median of " + settings.repeats() + " runs; times include client start-up unless noted)");
        System.out.println();
        System.out.print(ResultTable.markdown(results, RAW));
        System.out.println();
        notes.forEach(note -> System.out.println("- " + note));
        System.out.println();
        System.out.println("## Who used the CPU during each median run (average cores busy over the run)");
        System.out.println();
        for (CaseRuns runs : results) {
            if (!runs.median().cpuUse().description().isEmpty()) {
                System.out.printf("- %,d records, %s: %s%n", runs.topicRecords(), runs.name(), runs.median().cpuUse().description());
            }
        }
    }

    private static String streamsTotal(int threads) {
        return "Kafka Streams KTable restore, " + threads + " thread" + (threads == 1 ? "" : "s");
    }

    private static String streamsRestoreOnly(int threads) {
        return streamsTotal(threads) + ": restore window only";
    }

    private static Measurement report(String name, Measurement measurement) {
        System.out.printf("  %s: %.2f s, %,.0f records/s, %.1f MiB/s, first record after %.3f s%n", name,
                measurement.seconds(), measurement.recordsPerSecond(), measurement.megabytesPerSecond(),
                measurement.startupNanos() / 1e9);
        if (!measurement.cpuUse().description().isEmpty()) {
            System.out.println("    " + measurement.cpuUse().description());
        }
        return measurement;
    }
}
