package io.logkv.local;

import io.logkv.local.HistoryChecks.Check;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The text of a fault run's summary and of the report over all runs ({@code target/fault-runs/report.txt}). */
final class FaultRunReport {

    private FaultRunReport() {
    }

    /** One run: seed, faults played, operations, each check, and up to {@code limit} violations per check. */
    static String describe(FaultRun.Result result, int limit) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "seed %d: %s, %d nodes, %.0f s in all (load %.0f s), %d operations, %d violations%n",
                result.seed(), result.passed() ? "PASSED" : "FAILED", result.nodes(), result.durationMs() / 1000.0, result.loadMs() / 1000.0,
                result.operationCount(), result.violations()));
        text.append("  faults played: ").append(result.faults()).append('\n');
        result.played().forEach(line -> text.append("    ").append(line).append('\n'));
        text.append("  operations: ").append(result.operations()).append("; writes sent more than once under their Idempotency-Key: ")
                .append(result.resent()).append('\n');
        for (Check check : result.checks()) {
            text.append(String.format(Locale.ROOT, "  [%s] %s: %d checked, %d violations%n", check.passed() ? "ok" : "VIOLATED", check.name(),
                    check.checked(), check.violations().size()));
            check.violations().stream().limit(limit).forEach(violation -> text.append("      ").append(violation).append('\n'));
            if (check.violations().size() > limit) {
                text.append("      ... ").append(check.violations().size() - limit).append(" more in ").append(result.kept())
                        .append("/summary.txt\n");
            }
        }
        if (result.error() != null) {
            text.append("  run did not finish: ").append(result.error()).append('\n');
        }
        if (!result.passed()) {
            text.append("  kept: ").append(result.kept().toAbsolutePath()).append(" (schedule, history, committed log, replay command)\n");
        }
        return text.toString();
    }

    /**
     * A failed run in a few lines: its seed and where it is kept, the faults played, each violated check with up to
     * {@code limit} of its violations, and why it could not finish (the first lines of the error).
     */
    static String describeFailure(FaultRun.Result result, int limit) {
        StringBuilder text = new StringBuilder();
        text.append("seed ").append(result.seed()).append(" (see ").append(result.kept()).append("), ").append(result.nodes())
                .append(" nodes; faults played:\n");
        result.played().forEach(line -> text.append("    ").append(line).append('\n'));
        for (Check check : result.checks()) {
            if (!check.passed()) {
                text.append("  VIOLATED ").append(check.name()).append(": ").append(check.violations().size()).append(" violations\n");
                check.violations().stream().limit(limit).forEach(violation -> text.append("      ").append(violation).append('\n'));
            }
        }
        if (result.error() != null) {
            text.append("  did not finish: ");
            result.error().lines().limit(12).forEach(line -> text.append(line).append('\n'));
        }
        return text.toString();
    }

    /** Every run, then the totals. */
    static String summarize(List<FaultRun.Result> results, int requested, long elapsedMs, String stoppedBecause) {
        StringBuilder text = new StringBuilder();
        text.append("LogKV randomized fault runs, ").append(Instant.now()).append('\n');
        long failed = results.stream().filter(result -> !result.passed()).count();
        Map<FaultSchedule.Kind, Integer> faults = new EnumMap<>(FaultSchedule.Kind.class);
        Map<String, Long> operations = new TreeMap<>();
        Map<String, long[]> checks = new LinkedHashMap<>();
        for (FaultRun.Result result : results) {
            result.faults().forEach((kind, count) -> faults.merge(kind, count, Integer::sum));
            result.operations().forEach((what, count) -> operations.merge(what, count, Long::sum));
            for (Check check : result.checks()) {
                long[] totals = checks.computeIfAbsent(check.name(), name -> new long[2]);
                totals[0] += check.checked();
                totals[1] += check.violations().size();
            }
        }
        text.append(String.format(Locale.ROOT, "runs: %d of %d requested%s, %d failed, %.1f min in all%n", results.size(), requested,
                stoppedBecause == null ? "" : " (" + stoppedBecause + ")", failed, elapsedMs / 60_000.0));
        text.append("faults played: ").append(faults).append(" (").append(faults.values().stream().mapToInt(Integer::intValue).sum())
                .append(" in all)\n");
        text.append("operations: ").append(operations.values().stream().mapToLong(Long::longValue).sum()).append(' ').append(operations)
                .append('\n');
        text.append("writes sent more than once under their Idempotency-Key: ")
                .append(results.stream().mapToLong(FaultRun.Result::resent).sum()).append('\n');
        text.append("checks (checked, violations, over every run):\n");
        checks.forEach((name, totals) -> text.append(String.format(Locale.ROOT, "  %-100s %8d %4d%n", name, totals[0], totals[1])));
        text.append("runs with an error (did not finish): ").append(results.stream().filter(r -> r.error() != null).count()).append('\n');
        text.append('\n');
        for (FaultRun.Result result : results) {
            text.append(describe(result, 10)).append('\n');
        }
        if (failed > 0) {
            text.append("FAILED seeds: ").append(results.stream().filter(r -> !r.passed()).map(r -> String.valueOf(r.seed())).toList())
                    .append("; replay one with -Dlogkv.faults.seed=N (see target/fault-runs/N/replay.txt)\n");
        }
        return text.toString();
    }
}
