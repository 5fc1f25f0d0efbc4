package io.logkv.benchmark;

import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Copies the same truth topic from one region's Kafka cluster to another's three ways, and times each until
 * the last record is readable (read_committed) in the target:
 * <ul>
 *   <li>a raw copy: a read_committed consumer and an idempotent producer (acks=all), no transactions, no
 *       positions: at-least-once, the floor no mirror can beat on the same clusters;</li>
 *   <li>LogKV's mirror ({@code mirror/}, ADR 0011): transactions that carry the records of the polls of up
 *       to 100 ms and the source positions after them; and the same with one poll per transaction, as it was
 *       before the commit interval;</li>
 *   <li>Kafka's MirrorMaker 2 in dedicated mode with exactly-once source support (KIP-618), the identity
 *       replication policy and a read_committed source consumer: what an operator would run instead. It runs
 *       in its own JVM, as {@code connect-mirror-maker.sh} would start it, on the classpath that
 *       {@code benchmark/mirrormaker/pom.xml} resolves.</li>
 * </ul>
 * Each case copies a topic of its own, loaded with the same records; cases run interleaved within each
 * repetition. Both clusters (3 KRaft brokers each) run in this JVM, so every case pays the same brokers'
 * CPU, and the CPU figures count the brokers too. Times start when the copier is started, so they include
 * its start-up (MirrorMaker 2 starts Connect workers); the rate after the first record is printed as well.
 *
 * <p>The cases are {@link MirrorCase}; one copy is run and timed by {@link MirrorCopies}, MirrorMaker 2 is
 * {@link MirrorMakerProcess}, the lag under load {@link MirrorLagUnderLoad}, and the report {@link MirrorReport}.
 */
public final class MirrorComparison {

    private MirrorComparison() {
    }

    /**
     * Runs the comparison and prints its report (markdown). The lag is measured at half the LogKV mirror's steady
     * rate, then at each of {@code lagRates} (records a second).
     */
    static void run(long records, int valueBytes, int partitions, int repeats, List<Integer> lagRates, Path out) throws Exception {
        for (int fixed : lagRates) {
            if (fixed <= 0) {
                throw new IllegalArgumentException("a lag rate is records a second, above 0: " + fixed);
            }
        }
        MirrorReport report = new MirrorReport(records, valueBytes, partitions, repeats);
        System.out.print(report.heading());
        Map<MirrorCase, CaseRuns> cases = new LinkedHashMap<>();
        for (MirrorCase copier : MirrorCase.values()) {
            cases.put(copier, new CaseRuns(copier.label(), records));
        }
        System.out.println("starting two 3-broker Kafka clusters…");
        try (KafkaTestCluster sourceCluster = KafkaTestCluster.start(3);
             KafkaTestCluster targetCluster = KafkaTestCluster.start(3)) {
            MirrorMakerProcess mirrorMaker = new MirrorMakerProcess(sourceCluster.bootstrapServers(), targetCluster.bootstrapServers());
            MirrorCopies copies = new MirrorCopies(sourceCluster, targetCluster, mirrorMaker);
            TruthTopicLoader loader = new TruthTopicLoader(sourceCluster.bootstrapServers(), sourceCluster.admin());
            // Run 0 warms the JIT up and is not counted.
            for (int run = 0; run <= repeats; run++) {
                System.out.println(run == 0 ? "warm-up run (not counted)" : "run " + run + " of " + repeats);
                for (MirrorCase copier : cases.keySet()) {
                    NamespaceName namespace = new NamespaceName("mirror-" + copier.tag() + "-" + run);
                    LoadedTopic topic = loader.load(namespace, partitions, run == 0 ? Math.min(records, 20_000) : records, valueBytes);
                    Measurement measurement = copies.copy(copier, topic);
                    MirrorCopies.report(copier, measurement);
                    if (run > 0) {
                        cases.get(copier).add(measurement);
                    }
                }
            }
            // Lag under load: half the LogKV mirror's steady rate, and any fixed rates asked for, written while
            // each copier runs.
            List<Map.Entry<String, Double>> loads = new ArrayList<>();
            loads.add(Map.entry("half the LogKV mirror's steady rate", MirrorReport.steadyRate(cases.get(MirrorCase.LOGKV)) / 2));
            for (int fixed : lagRates) {
                loads.add(Map.entry("a fixed rate", (double) fixed));
            }
            MirrorLagUnderLoad lag = new MirrorLagUnderLoad(sourceCluster, targetCluster, mirrorMaker);
            for (Map.Entry<String, Double> load : loads) {
                double rate = load.getValue();
                StringBuilder lagRows = report.lagSection(load.getKey(), rate);
                for (MirrorCase copier : List.of(MirrorCase.LOGKV, MirrorCase.MM2)) {
                    System.out.printf(Locale.ROOT, "lag under load: %s at %,.0f records/s for %d s%n", copier.label(), rate,
                            MirrorLagUnderLoad.LAG_LOAD.toSeconds());
                    lag.measure(copier, partitions, valueBytes, rate, lagRows);
                }
            }
        }
        report.results(new ArrayList<>(cases.values()), repeats);
        report.write(out);
    }
}
