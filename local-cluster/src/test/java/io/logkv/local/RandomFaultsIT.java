package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomized fault runs with checked histories. Each run starts a fresh process cluster, drives a mixed
 * workload (PUT, DELETE, put-if-absent, compare-and-set increments, Idempotency-Key retries, session and
 * strong reads, PUTs with a time to live, records produced to the ingest topic) through every node and
 * Kafka while a random schedule of faults plays (node SIGKILL and restart with or without its data, node
 * SIGSTOP/SIGCONT, broker SIGKILL and restart, broker SIGSTOP/SIGCONT, a node cut from the brokers, a node
 * unreachable from its peers, every node cut from every other), and then checks the history against the
 * committed log and the ingest topic ({@link HistoryChecks}, {@link FaultRun}). A run is drawn
 * from its seed; a failed one keeps its schedule, history and seed under {@code target/fault-runs/<seed>/}.
 *
 * <p>System properties: {@code logkv.faults.runs} (default 1: the default suite stays short; the long command below runs many), {@code logkv.faults.seed} (replay one seed),
 * {@code logkv.faults.window-seconds} (faults are planned within this time of the load's start, default 40;
 * restarts push later faults back, up to twice this),
 * {@code logkv.faults.nodes} (2 or 3; default drawn from the seed), {@code logkv.faults.budget-minutes} (no
 * new run starts after this, default 6 per run), {@code logkv.faults.keep-history} (keep the history of
 * passed runs too), {@code logkv.faults.keep-going} (start the next run after a failed one; by default the
 * first failed run ends the test, and fails it, with its seed, history and logs kept). The long command (docs/reliability.md):
 * {@code mvn -B -pl local-cluster test -Dtest=RandomFaultsIT -Dlogkv.faults.runs=50 -Dlogkv.faults.budget-minutes=180}.
 */
@Tag("integration")
class RandomFaultsIT {

    private static final int RUNS = Integer.getInteger("logkv.faults.runs", 1);
    private static final Long SEED = Long.getLong("logkv.faults.seed");
    private static final FaultRun.Settings SETTINGS = new FaultRun.Settings(
            Duration.ofSeconds(Long.getLong("logkv.faults.window-seconds", 40)), Duration.ofSeconds(5),
            Integer.getInteger("logkv.faults.nodes", 0), Boolean.getBoolean("logkv.faults.keep-history"));
    private static final boolean KEEP_GOING = Boolean.getBoolean("logkv.faults.keep-going");
    private static final Duration BUDGET = Duration.ofMinutes(Long.getLong("logkv.faults.budget-minutes", 6L * RUNS));

    @TempDir
    Path dir;

    @Test
    void randomFaultSchedulesLoseNoAcknowledgedWriteAndKeepEveryHistoryConsistent() throws Exception {
        List<Long> seeds = new ArrayList<>();
        if (SEED != null) {
            seeds.add(SEED);
        } else {
            for (int i = 0; i < RUNS; i++) {
                seeds.add(ThreadLocalRandom.current().nextLong(1L << 40));
            }
        }
        ProcessCluster.log("fault runs, seeds " + seeds + ", budget " + BUDGET.toMinutes() + " min, " + SETTINGS);
        long started = System.nanoTime();
        List<FaultRun.Result> results = new ArrayList<>();
        String stoppedBecause = null;
        for (long seed : seeds) {
            if (!results.isEmpty() && System.nanoTime() - started > BUDGET.toNanos()) {
                stoppedBecause = "budget of " + BUDGET.toMinutes() + " min spent";
                break;
            }
            Path runDir = dir.resolve("run-" + seed);
            FaultRun.Result result = FaultRun.run(seed, runDir, SETTINGS);
            results.add(result);
            TestFiles.deleteTree(runDir); // the brokers' and nodes' data: the logs worth keeping are copied by ProcessCluster
            System.out.println(FaultRunReport.describe(result, 10));
            if (!result.passed() && !KEEP_GOING) {
                stoppedBecause = "stopped at the first failed run, seed " + seed;
                break;
            }
        }
        String report = FaultRunReport.summarize(results, seeds.size(), ProcessCluster.millisSince(started), stoppedBecause);
        Path out = Path.of("target", "fault-runs");
        Files.createDirectories(out);
        Files.writeString(out.resolve(SEED == null ? "report.txt" : "report-" + SEED + ".txt"), report);
        System.out.println(report);

        // The failed runs' own descriptions (which check, which violations, or why the run could not finish) go into the
        // assertion's message: a build log that shows only the failure then still says what failed.
        assertThat(results.stream().filter(result -> !result.passed()).map(result -> FaultRunReport.describeFailure(result, 5)))
                .as("fault runs that found a violation or could not finish; report in target/fault-runs/").isEmpty();
    }
}
