package io.logkv.benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The mission's bars, each read off the medians of a run, as sentences: met or not, and by how much. */
final class GoalCheck {

    private final BenchResults results;

    GoalCheck(BenchResults results) {
        this.results = results;
    }

    List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (CaseFigures put : results.section(WritePathBench.SECTION)) {
            if (put.name().equals(WritePathBench.LOGKV)) {
                double ratio = put.ratioTo(results.baselineOf(put));
                lines.add(String.format(Locale.ROOT, "PUT ≥ 0.8× raw producer, %s: %.2f× (%s)", put.load(), ratio, verdict(ratio >= 0.8)));
            }
        }
        find(ReadPathBench.SECTION, ReadPathBench.LOGKV, "50% of its max, open loop").ifPresent(get -> lines.add(String.format(Locale.ROOT,
                "GET p99 ≤ 1 ms at 50%% of max: %.2f ms at %,.0f/s (%s)", get.medianP99Micros() / 1e3, get.medianOpsPerSecond(),
                verdict(get.medianP99Micros() <= 1000))));
        find(ReadPathBench.AFTER_WRITE, ReadPathBench.SESSION, null).ifPresent(raw -> lines.add(String.format(Locale.ROOT,
                "read-after-write visible p99 ≤ 10 ms: %.2f ms (%s)", raw.medianP99Micros() / 1e3, verdict(raw.medianP99Micros() <= 10_000))));
        Optional<CaseFigures> getMax = find(ReadPathBench.SECTION, ReadPathBench.LOGKV, "closed loop");
        getMax.ifPresent(get -> {
            find(ReadPathBench.SECTION, ReadPathBench.REDIS_GET, null).ifPresent(redis -> lines.add(String.format(Locale.ROOT,
                    "GET throughput vs Redis GET, same clients and value size: %.3f× (%,.0f vs %,.0f ops/s)",
                    get.medianOpsPerSecond() / redis.medianOpsPerSecond(), get.medianOpsPerSecond(), redis.medianOpsPerSecond())));
            find(ReadPathBench.SECTION, ReadPathBench.ROCKSDB, null).ifPresent(raw -> lines.add(String.format(Locale.ROOT,
                    "GET throughput vs raw RocksDB gets on the same stores: %.4f× (%,.0f vs %,.0f ops/s)",
                    get.medianOpsPerSecond() / raw.medianOpsPerSecond(), get.medianOpsPerSecond(), raw.medianOpsPerSecond())));
        });
        return lines;
    }

    /** The first case of that name in the section whose load contains {@code loadPart} (any load when null). */
    private Optional<CaseFigures> find(String section, String name, String loadPart) {
        return results.section(section).stream()
                .filter(c -> c.name().equals(name) && (loadPart == null || c.load().contains(loadPart))).findFirst();
    }

    private static String verdict(boolean met) {
        return met ? "met" : "not met";
    }
}
