package io.logkv.benchmark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.json.JsonMapper;

/** A benchmark run written out: Markdown for people, JSON for tools, the same medians in both. */
final class BenchReport {

    private final BenchResults results;
    private final String machine;
    private final String command;
    private final String startedAt;

    BenchReport(BenchResults results, String machine, String command, String startedAt) {
        this.results = results;
        this.machine = machine;
        this.command = command;
        this.startedAt = startedAt;
    }

    String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("# LogKV benchmark, ").append(startedAt).append("\n\n");
        out.append("## Machine and settings\n\n").append(machine).append("- Command: `").append(command).append("`\n\n");
        section(out, WritePathBench.SECTION, "Write path (1 KiB values; ratio = throughput ÷ raw producer at the same client count)");
        section(out, ReadPathBench.SECTION, "Read path (closed-loop rows: ratio = throughput ÷ baseline; open-loop rows: ratio = p99 ÷ baseline's p99)");
        section(out, ReadPathBench.AFTER_WRITE, "Read after write (time from the PUT's acknowledgement to a session read returning it)");
        List<String> goals = new GoalCheck(results).lines();
        if (!goals.isEmpty()) {
            out.append("## Against the goals\n\n");
            goals.forEach(line -> out.append("- ").append(line).append('\n'));
            out.append('\n');
        }
        if (!results.notes().isEmpty()) {
            out.append("## Notes\n\n");
            results.notes().forEach(note -> out.append("- ").append(note).append('\n'));
            out.append('\n');
        }
        return out.toString();
    }

    private void section(StringBuilder out, String section, String title) {
        List<CaseFigures> cases = results.section(section);
        if (cases.isEmpty()) {
            return;
        }
        out.append("## ").append(title).append("\n\n");
        out.append("| Case | Load | ops/s | vs baseline | p50 ms | p99 ms | p99.9 ms | writes/txn | errors | ops/s of each run |\n");
        out.append("|------|------|------:|------------:|-------:|-------:|---------:|-----------:|-------:|-------------------|\n");
        for (CaseFigures c : cases) {
            double ratio = c.ratioTo(results.baselineOf(c));
            out.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %s | %s | %s | %s | %s | %d | %s |%n",
                    c.name(), c.load(), c.medianOpsPerSecond(),
                    Double.isNaN(ratio) ? "–" : String.format(Locale.ROOT, "%.2f×%s", ratio, c.ratio() == CaseFigures.Ratio.P99 ? " (p99)" : ""),
                    ms(c.medianP50Micros()), ms(c.medianP99Micros()), ms(c.medianP999Micros()),
                    Double.isNaN(c.medianRecordsPerTransaction()) ? "–" : String.format(Locale.ROOT, "%.1f", c.medianRecordsPerTransaction()),
                    c.errors(),
                    c.runs().stream().map(r -> String.format(Locale.ROOT, "%,.0f", r.opsPerSecond())).collect(Collectors.joining(", "))));
        }
        out.append('\n');
    }

    private static String ms(double micros) {
        if (Double.isNaN(micros)) {
            return "–";
        }
        return String.format(Locale.ROOT, micros < 100 ? "%.3f" : micros < 10_000 ? "%.2f" : "%.1f", micros / 1e3);
    }

    String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("startedAt", startedAt);
        root.put("machine", machine.lines().map(line -> line.replaceFirst("^- ", "")).toList());
        root.put("command", command);
        List<Map<String, Object>> cases = new ArrayList<>();
        for (CaseFigures c : results.cases()) {
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("section", c.section());
            figures.put("case", c.name());
            figures.put("load", c.load());
            figures.put("baseline", c.baseline());
            figures.put("ratioOf", c.ratio().name().toLowerCase(Locale.ROOT));
            figures.put("ratio", number(c.ratioTo(results.baselineOf(c))));
            figures.put("medianOpsPerSecond", number(c.medianOpsPerSecond()));
            figures.put("medianP50Micros", number(c.medianP50Micros()));
            figures.put("medianP99Micros", number(c.medianP99Micros()));
            figures.put("medianP999Micros", number(c.medianP999Micros()));
            figures.put("medianRecordsPerTransaction", number(c.medianRecordsPerTransaction()));
            figures.put("errors", c.errors());
            figures.put("runs", c.runs().stream().map(r -> {
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("opsPerSecond", number(r.opsPerSecond()));
                run.put("p50Micros", number(r.p50Micros()));
                run.put("p99Micros", number(r.p99Micros()));
                run.put("p999Micros", number(r.p999Micros()));
                run.put("ops", r.ops());
                run.put("errors", r.errors());
                run.put("recordsPerTransaction", number(r.recordsPerTransaction()));
                return run;
            }).toList());
            cases.add(figures);
        }
        root.put("cases", cases);
        root.put("goals", new GoalCheck(results).lines());
        root.put("notes", results.notes());
        return JsonMapper.builder().build().writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    /** JSON has no NaN: a figure not measured is null. */
    private static Object number(double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? null : Math.round(value * 100) / 100.0;
    }
}
