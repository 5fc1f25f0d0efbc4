package io.logkv.local;

import io.logkv.local.HistoryChecks.Check;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * One randomized fault run: a fresh process cluster (3 brokers, 2 or 3 LogKV nodes, node-1 reaching the
 * brokers through proxies), the {@link MixedWorkload} against every node while the seed's
 * {@link FaultSchedule} plays, then, with every fault healed and the load stopped, the checks of the
 * history against the log ({@link HistoryChecks}), of what every node serves, and of the replicas' digests.
 * Its schedule, what was played and the checks go to {@code target/fault-runs/<seed>/}, with the whole
 * history and the committed log when a check failed.
 */
final class FaultRun {

    /**
     * What a run did and found.
     *
     * @param error why the run could not finish (a node that never came back counts), or null
     */
    record Result(long seed, int nodes, List<String> played, Map<FaultSchedule.Kind, Integer> faults, Map<String, Long> operations,
                  long resent, List<Check> checks, String error, long durationMs, long loadMs, Path kept) {

        boolean passed() {
            return error == null && checks.stream().allMatch(Check::passed);
        }

        long violations() {
            return checks.stream().mapToLong(check -> check.violations().size()).sum() + (error == null ? 0 : 1);
        }

        long operationCount() {
            return operations.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** The run's settings, from system properties (see RandomFaultsIT). */
    record Settings(Duration window, Duration quiet, int nodes, boolean keepHistory) {

        /** No fault starts later than this after the load's start, however long restarts took: twice the window. */
        Duration faultPhaseBound() {
            return window.multipliedBy(2);
        }
    }

    private static final List<String> NODE_ARGUMENTS = List.of("--logkv.writer.session-timeout=3s");
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration DIGEST_TIMEOUT = Duration.ofSeconds(90);

    private FaultRun() {
    }

    /** Runs seed {@code seed} in {@code workDir} (deleted by the caller); never throws for what the run finds. */
    static Result run(long seed, Path workDir, Settings settings) throws IOException, InterruptedException {
        long started = System.nanoTime();
        FaultSchedule schedule = FaultSchedule.draw(seed, settings.nodes(), settings.window());
        Path out = Path.of("target", "fault-runs", Long.toString(seed));
        Files.createDirectories(out);
        Files.writeString(out.resolve("schedule.txt"), schedule.describe());
        ProcessCluster.progressCopy = out.resolve("progress.log");
        ProcessCluster.log("fault run, " + schedule.describe());

        LogKvHttp http = new LogKvHttp();
        List<HistoryOp> history = List.of();
        List<Check> checks = new ArrayList<>();
        TruthLog log = null;
        String error = null;
        long loadMs = 0;
        long origin = System.nanoTime();
        FaultPlayer player = null;
        try (ProcessCluster cluster = ProcessCluster.start(workDir, true)) {
            try {
                for (int i = 0; i < schedule.nodes(); i++) {
                    cluster.startNode("node-" + (i + 1), i == 0, NODE_ARGUMENTS);
                }
                ProcessCluster.awaitOwners(http, cluster.nodes().get(0), all -> true, SETTLE_TIMEOUT);
                player = new FaultPlayer(cluster);
                MixedWorkload load = new MixedWorkload(http, cluster.nodes().stream().map(LogKvNodeProcess::url).toList(),
                        player.downNodes(), seed);
                origin = System.nanoTime();
                load.start();
                List<String> stuck;
                try {
                    try {
                        player.play(schedule, origin, settings.faultPhaseBound());
                    } finally {
                        player.healAll();
                    }
                    Thread.sleep(settings.quiet().toMillis());
                } finally {
                    stuck = load.stop();
                    loadMs = ProcessCluster.millisSince(origin);
                    history = load.history();
                }
                ProcessCluster.awaitOwners(http, cluster.nodes().get(0), all -> true, SETTLE_TIMEOUT);
                log = TruthLog.read(cluster.bootstrapServers(), ProcessCluster.TRUTH_TOPIC, Duration.ofSeconds(60));
                checks.addAll(new HistoryChecks(history, log).all());
                checks.add(new Check("every client's requests ended, no client error", history.size(), stuck));
                checks.add(new Check("no node or broker exited but by a fault", schedule.nodes() + LocalKafkaCluster.NODES,
                        player.exitedOnTheirOwn()));
                checks.add(servedAsLogged(http, cluster.nodes(), log));
                checks.add(digestsAgree(http, cluster.nodes()));
            } catch (Throwable failure) {
                error = stackTrace(failure);
                cluster.printNodeLogs();
            }
        } catch (Throwable failure) {
            // Kafka did not start, or did not stop: the run could not be made
            error = error != null ? error : stackTrace(failure);
        }
        ProcessCluster.progressCopy = null;
        List<String> played = player == null ? List.of() : player.played();
        Map<FaultSchedule.Kind, Integer> faults = player == null ? Map.of() : player.counts();
        Result result = new Result(seed, schedule.nodes(), played, faults, operations(history), resent(history), checks, error,
                ProcessCluster.millisSince(started), loadMs, out);
        keep(result, schedule, settings, history, log, origin, settings.keepHistory() || !result.passed());
        return result;
    }

    /** At the end every node serves, to a strong batch-get of every key, exactly the log's last record of it. */
    private static Check servedAsLogged(LogKvHttp http, List<LogKvNodeProcess> nodes, TruthLog log) {
        List<String> keys = new ArrayList<>(MixedWorkload.plainKeys());
        keys.addAll(MixedWorkload.counters());
        List<String> violations = new ArrayList<>();
        for (LogKvNodeProcess node : nodes) {
            Map<String, String> served;
            try {
                served = http.versions(node.url(), keys, "strong");
            } catch (AssertionError failure) {
                violations.add(node + ": " + failure.getMessage());
                continue;
            }
            for (String key : keys) {
                List<TruthLog.Entry> entries = log.entries(key);
                TruthLog.Entry last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
                String expected = last == null || last.tombstone() ? null : last.version();
                if (!served.containsKey(key) || !Objects.equals(served.get(key), expected)) {
                    violations.add(node + " serves " + key + " as " + served.get(key) + "; the log's last record: "
                            + (last == null ? "none" : last.describe()));
                }
            }
        }
        return new Check("every node serves (strong batch-get) what the log holds", (long) keys.size() * nodes.size(), violations);
    }

    /**
     * Every replica's digest equal at the same log position, asked through every node: a comparison still
     * incomplete (a replica rebuilding) is asked again until {@link #DIGEST_TIMEOUT}; a disagreement is a
     * violation at once.
     */
    private static Check digestsAgree(LogKvHttp http, List<LogKvNodeProcess> nodes) throws InterruptedException {
        int copies = Math.min(2, nodes.size());
        long deadline = System.nanoTime() + DIGEST_TIMEOUT.toNanos();
        List<String> violations = new ArrayList<>();
        for (LogKvNodeProcess node : nodes) {
            String last = "";
            while (true) {
                String verdict;
                try {
                    JsonNode digests = http.digests(node.url());
                    last = digests.toString();
                    String status = digests.path("status").asString();
                    boolean allCopies = true;
                    for (JsonNode partition : digests.path("partitions")) {
                        allCopies &= partition.path("replicas").size() >= copies;
                    }
                    verdict = status.equals("disagree") ? "disagree" : status.equals("agree") && allCopies ? "agree" : "incomplete";
                } catch (AssertionError failure) {
                    last = failure.getMessage();
                    verdict = "incomplete";
                }
                if (verdict.equals("agree")) {
                    break;
                }
                if (verdict.equals("disagree")) {
                    violations.add("replicas disagree, through " + node + ": " + last);
                    break;
                }
                if (System.nanoTime() > deadline) {
                    violations.add("replicas not all compared within " + DIGEST_TIMEOUT.toSeconds() + " s, through " + node + ": " + last);
                    break;
                }
                Thread.sleep(2_000);
            }
        }
        return new Check("every replica's digest equal at the same log position (" + copies + " copies of each partition)",
                (long) nodes.size() * ProcessCluster.PARTITIONS, violations);
    }

    /** How many operations ended how, by kind: {@code "PUT ACK" -> 812}. */
    private static Map<String, Long> operations(List<HistoryOp> history) {
        Map<String, Long> counts = new TreeMap<>();
        history.forEach(op -> counts.merge(op.kind() + " " + op.outcome(), 1L, Long::sum));
        return counts;
    }

    /** Writes sent more than once under their Idempotency-Key (retried after an unknown outcome, or sent again after a success). */
    private static long resent(List<HistoryOp> history) {
        return history.stream().filter(op -> op.attempts() > 1).count();
    }

    private static void keep(Result result, FaultSchedule schedule, Settings settings, List<HistoryOp> history, TruthLog log,
                             long origin, boolean everything) throws IOException {
        Path out = result.kept();
        Files.writeString(out.resolve("summary.txt"), FaultRunReport.describe(result, Integer.MAX_VALUE));
        if (!everything) {
            return;
        }
        try (Stream<String> lines = Stream.concat(Stream.of(HistoryOp.header()), history.stream().map(op -> op.line(origin)))) {
            Files.write(out.resolve("history.tsv"), (Iterable<String>) lines::iterator);
        }
        if (log != null) {
            List<String> committed = new ArrayList<>();
            log.allKeys().forEach(entries -> entries.forEach(entry -> committed.add(entry.describe())));
            Files.write(out.resolve("committed.txt"), committed);
        }
        Files.writeString(out.resolve("replay.txt"), "mvn -B -pl local-cluster test -Dtest=RandomFaultsIT -Dlogkv.faults.seed="
                + schedule.seed() + " -Dlogkv.faults.nodes=" + schedule.nodes() + " -Dlogkv.faults.window-seconds="
                + settings.window().toSeconds() + "\n"
                + "node logs: target/fault-logs/run-" + schedule.seed() + "/\n");
    }

    private static String stackTrace(Throwable failure) {
        StringWriter text = new StringWriter();
        failure.printStackTrace(new PrintWriter(text));
        return text.toString();
    }
}
