package io.logkv.benchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The mirror comparison's report (markdown): its heading, the copy times of every case against the raw copy,
 * each case's rate once the first record arrived, who used the CPU, and the lag under load. Written to
 * {@code mirror-<time>.md} and printed from the results on.
 */
final class MirrorReport {

    private final StringBuilder report = new StringBuilder();
    private final StringBuilder lag = new StringBuilder();

    /** Starts the report with what runs where: the machine, the settings and the clusters. */
    MirrorReport(long records, int valueBytes, int partitions, int repeats) {
        report.append("# Mirror between two regions: LogKV's mirror against MirrorMaker 2 and a raw copy\n\n");
        report.append(MachineDescription.describe());
        report.append(String.format(Locale.ROOT, "- Settings: %,d records of %d bytes per topic, %d partitions, %d runs of each case%n",
                records, valueBytes, partitions, repeats));
        report.append("- Kafka: two clusters of 3 in-process KRaft brokers (RF 3, min ISR 2) in this same JVM\n");
    }

    /** The report so far: its heading, until the results are in. */
    String heading() {
        return report.toString();
    }

    /** The median of a case's rates after the first record reached the target (start-up excluded). */
    static double steadyRate(CaseRuns runs) {
        List<Double> rates = steadyRates(runs);
        return rates.get(rates.size() / 2);
    }

    private static List<Double> steadyRates(CaseRuns runs) {
        return runs.runs().stream().map(m -> m.records() / ((m.nanos() - m.startupNanos()) / 1e9)).sorted().toList();
    }

    /**
     * Opens a lag section for a load of {@code rate} records a second, described by {@code load} ("half the LogKV
     * mirror's steady rate"); its table's rows go to the answer.
     */
    StringBuilder lagSection(String load, double rate) {
        lag.append(String.format(Locale.ROOT, "%n## Lag at %s (%,.0f records/s for %d s)%n%n",
                load, rate, MirrorLagUnderLoad.LAG_LOAD.toSeconds()));
        lag.append("Time from the writer's send to the record readable (read_committed): in the source (the writer's own\n"
                + "transactions, committed every 10 ms), and in the target through each copier.\n\n");
        lag.append("| readable in | records | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n");
        return lag;
    }

    /** Adds the results of every case, the first one being the baseline, and then the lag section. */
    void results(List<CaseRuns> cases, int repeats) {
        report.append("\n## Results (median of ").append(repeats)
                .append(" runs; times from the copier's start to the last record readable in the target)\n\n");
        report.append(ResultTable.markdown(cases, MirrorCase.RAW.label()));
        report.append("\nRate after the first record reached the target (start-up excluded), medians:\n\n");
        for (CaseRuns runs : cases) {
            List<Double> rates = steadyRates(runs);
            report.append(String.format(Locale.ROOT, "- %s: %,.0f records/s (each run: %s); first record after %.2f s%n",
                    runs.name(), rates.get(rates.size() / 2),
                    rates.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r)).toList(),
                    runs.median().startupNanos() / 1e9));
        }
        report.append("\n## Who used the CPU during each median run\n\n");
        for (CaseRuns runs : cases) {
            report.append("- ").append(runs.name()).append(": ").append(runs.median().cpuUse().description()).append('\n');
        }
        report.append(lag);
    }

    /** Writes the report into {@code out} and prints it from the results on. */
    void write(Path out) throws IOException {
        Files.createDirectories(out);
        Path file = out.resolve("mirror-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".md");
        Files.writeString(file, report, StandardCharsets.UTF_8);
        System.out.println();
        System.out.print(report.substring(report.indexOf("\n## Results")));
        System.out.println("written: " + file);
    }
}
