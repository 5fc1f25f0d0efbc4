package io.logkv.benchmark;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The spike's results as a Markdown table, each case compared with the raw consumer on the same topic. */
final class ResultTable {

    private ResultTable() {
    }

    static String markdown(List<CaseRuns> cases, String baselineName) {
        StringBuilder out = new StringBuilder();
        out.append("| Records | Case | Median time (s) | Records/s | MiB/s | vs raw consumer | First record (s) | JVM CPU (core-s) | All runs (s) |\n");
        out.append("|--------:|------|----------------:|----------:|------:|----------------:|-----------------:|-----------------:|--------------|\n");
        for (CaseRuns runs : cases) {
            Measurement median = runs.median();
            double baseline = cases.stream()
                    .filter(c -> c.name().equals(baselineName) && c.topicRecords() == runs.topicRecords())
                    .findFirst().map(c -> c.median().recordsPerSecond()).orElse(Double.NaN);
            out.append(String.format(Locale.ROOT, "| %,d | %s | %.2f | %,.0f | %.1f | %.2f× | %.3f | %s | %s |%n",
                    runs.topicRecords(), runs.name(), median.seconds(), median.recordsPerSecond(),
                    median.megabytesPerSecond(), median.recordsPerSecond() / baseline, median.startupNanos() / 1e9,
                    Double.isNaN(runs.medianJvmCoreSeconds()) ? "–" : String.format(Locale.ROOT, "%.2f", runs.medianJvmCoreSeconds()),
                    runs.runs().stream().map(m -> String.format(Locale.ROOT, "%.2f", m.seconds()))
                            .collect(Collectors.joining(", "))));
        }
        return out.toString();
    }
}
