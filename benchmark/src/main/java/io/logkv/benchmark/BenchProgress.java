package io.logkv.benchmark;

import java.util.Locale;

/** One line per measurement while the benchmark runs: which step of how many, what it found, time so far. */
final class BenchProgress {

    private final long started = System.nanoTime();
    private final int planned;
    private int done;

    BenchProgress(int planned) {
        this.planned = planned;
    }

    synchronized RunSample report(String what, RunSample run) {
        done++;
        System.out.printf(Locale.ROOT, "[%d/%d %s] %s: %,.0f ops/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms%s%s%n",
                done, planned, elapsed(), what, run.opsPerSecond(), run.p50Micros() / 1e3, run.p99Micros() / 1e3,
                run.p999Micros() / 1e3,
                run.errors() > 0 ? ", " + run.errors() + " errors" : "",
                Double.isNaN(run.recordsPerTransaction()) ? ""
                        : String.format(Locale.ROOT, ", %.1f writes/transaction", run.recordsPerTransaction()));
        return run;
    }

    synchronized void say(String message) {
        System.out.printf("[%s] %s%n", elapsed(), message);
    }

    private String elapsed() {
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
