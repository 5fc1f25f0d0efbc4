package io.logkv.local;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
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
 * brokers through proxies, every node reached by its peers through a proxy of its own), the
 * {@link MixedWorkload} against every node and the ingest topic while the seed's {@link FaultSchedule} plays,
 * then, with every fault healed, the load stopped and the ingest topic applied to its end, the checks of the
 * history against the log and the ingest topic ({@link HistoryChecks}), of what every node serves, and of the
 * replicas' digests. Its schedule, what was played and the checks go to {@code target/fault-runs/<seed>/},
 * with the whole history, the committed log and the ingest topic when a check failed.
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
    private static final Duration INGEST_APPLIED_TIMEOUT = Duration.ofSeconds(60);
    private static final NamespaceName NAMESPACE = new NamespaceName(LogKvHttp.NAMESPACE);

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
        IngestTopic ingest = null;
        String error = null;
        long loadMs = 0;
        long origin = System.nanoTime();
        FaultPlayer player = null;
        try (ProcessCluster cluster = ProcessCluster.start(workDir, true)) {
            try {
                for (int i = 0; i < schedule.nodes(); i++) {
                    cluster.startNode("node-" + (i + 1), i == 0, true, NODE_ARGUMENTS);
                }
                ProcessCluster.awaitOwners(http, cluster.nodes().get(0), all -> true, SETTLE_TIMEOUT);
                player = new FaultPlayer(cluster);
                MixedWorkload load = new MixedWorkload(http, cluster.bootstrapServers(),
                        cluster.nodes().stream().map(LogKvNodeProcess::url).toList(), player.downNodes(), seed);
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
                // Everything in the ingest topic, acknowledged or not, applied before the log is read.
                ingest = IngestTopic.read(cluster.bootstrapServers(), Duration.ofSeconds(60));
                checks.add(ingestApplied(http, cluster.nodes(), ingest.ends()));
                log = TruthLog.read(cluster.bootstrapServers(), ProcessCluster.TRUTH_TOPIC, Duration.ofSeconds(60));
                checks.addAll(new HistoryChecks(history, log, ingest).all());
                checks.add(new Check("every client's requests ended, no client error", history.size(), stuck));
                checks.add(new Check("no node or broker exited but by a fault", schedule.nodes() + LocalKafkaCluster.NODES,
                        player.exitedOnTheirOwn()));
                awaitExpiries(log);
                checks.add(servedAsLogged(http, cluster.nodes(), log, "strong"));
                checks.add(digestsAgree(http, cluster.nodes()));
                checks.add(servedAsLogged(http, cluster.nodes(), log, "eventual"));
                checks.add(expiredKeysReadAsNotFound(http, cluster.nodes(), log));
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
        keep(result, schedule, settings, history, log, ingest, origin, settings.keepHistory() || !result.passed());
        return result;
    }

    /**
     * The owners apply the whole ingest topic once the load has stopped: a session read under a token of
     * each partition's ingest end (what a streaming application holds after its last write) is answered,
     * through some node, within {@link #INGEST_APPLIED_TIMEOUT}. Only then is the log read for the checks.
     */
    private static Check ingestApplied(LogKvHttp http, List<LogKvNodeProcess> nodes, Map<Integer, Long> ends) throws InterruptedException {
        ConsistencyToken token = ConsistencyToken.EMPTY;
        for (Map.Entry<Integer, Long> end : ends.entrySet()) {
            if (end.getValue() > 0) {
                token = token.merge(ConsistencyToken.ofIngest(NAMESPACE, new LogPosition(end.getKey(), end.getValue())));
            }
        }
        String text = token.encode();
        long deadline = System.nanoTime() + INGEST_APPLIED_TIMEOUT.toNanos();
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (Map.Entry<Integer, Long> end : ends.entrySet()) {
            if (end.getValue() == 0) {
                continue;
            }
            checked++;
            String key = keyOf(end.getKey());
            LogKvNodeProcess node = nodes.get(end.getKey() % nodes.size());
            while (true) {
                LogKvHttp.Answer answer = http.get(node.url(), key, "session", text, 5_000, Duration.ofSeconds(30));
                if (answer.status() == 200 || (answer.status() == 404 && "key-not-found".equals(answer.problemType()))) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    violations.add("ingest partition " + end.getKey() + " not applied to its end " + end.getValue() + " within "
                            + INGEST_APPLIED_TIMEOUT.toSeconds() + " s: a session read of " + key + " through " + node + " answered "
                            + answer.describe());
                    break;
                }
                Thread.sleep(500);
            }
        }
        ProcessCluster.log("ingest topic applied to its ends " + ends + (violations.isEmpty() ? "" : ", " + violations));
        return new Check("the whole ingest topic applied within " + INGEST_APPLIED_TIMEOUT.toSeconds() + " s of the load's end",
                checked, violations);
    }

    /** A key of {@code partition}: one the load writes, or another made up for it. */
    private static String keyOf(int partition) {
        for (String key : MixedWorkload.allKeys()) {
            if (ProcessCluster.partitionOf(key) == partition) {
                return key;
            }
        }
        for (int i = 0; ; i++) {
            if (ProcessCluster.partitionOf("probe-" + i) == partition) {
                return "probe-" + i;
            }
        }
    }

    /** Waits (at most 10 s) until the last value of every key has expired, when it has a time to live. */
    private static void awaitExpiries(TruthLog log) throws InterruptedException {
        long latest = MixedWorkload.allKeys().stream().map(log::last)
                .filter(entry -> entry != null && !entry.tombstone()).mapToLong(TruthLog.Entry::expiresAtMs).max().orElse(0);
        long waitMs = Math.min(10_000, latest + 100 - System.currentTimeMillis());
        if (waitMs > 0) {
            Thread.sleep(waitMs);
        }
    }

    /**
     * At the end every node serves, to a batch-get of every key at {@code consistency}, exactly the log's last
     * record of it, or nothing when that record is a tombstone or a value past its expiry (a key with a time to
     * live reads as not found once it has expired, whether or not its expiry tombstone has been written).
     */
    private static Check servedAsLogged(LogKvHttp http, List<LogKvNodeProcess> nodes, TruthLog log, String consistency) {
        List<String> keys = MixedWorkload.allKeys();
        List<String> violations = new ArrayList<>();
        for (LogKvNodeProcess node : nodes) {
            Map<String, String> served;
            long before = System.currentTimeMillis();
            try {
                served = http.versions(node.url(), keys, consistency);
            } catch (AssertionError failure) {
                violations.add(node + ": " + failure.getMessage());
                continue;
            }
            long after = System.currentTimeMillis();
            for (String key : keys) {
                TruthLog.Entry last = log.last(key);
                if (last != null && !last.tombstone() && last.expiresAtMs() > before && last.expiresAtMs() <= after) {
                    continue; // expired while the batch was read: either answer is right
                }
                String expected = last == null || last.absentAt(before) ? null : last.version();
                if (!served.containsKey(key) || !Objects.equals(served.get(key), expected)) {
                    violations.add(node + " serves " + key + " as " + served.get(key) + " (" + consistency + "); the log's last record: "
                            + (last == null ? "none" : last.describe()) + ", read at " + before);
                }
            }
        }
        return new Check("every node serves (" + consistency + " batch-get) what the log holds, expired keys as absent",
                (long) keys.size() * nodes.size(), violations);
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

    /**
     * At the end every time-to-live key whose last value has expired (its last record that value, or the
     * compactor's expiry tombstone for it) reads as {@code 404} to a single GET (eventual, then strong)
     * through every node, as it does to a batch-get: from whichever replica answers.
     */
    private static Check expiredKeysReadAsNotFound(LogKvHttp http, List<LogKvNodeProcess> nodes, TruthLog log) {
        List<String> violations = new ArrayList<>();
        long checked = 0;
        for (String key : MixedWorkload.ttlKeys()) {
            TruthLog.Entry last = log.last(key);
            boolean expired = last != null && (last.expiryTombstone()
                    || (!last.tombstone() && last.expiresAtMs() > 0 && last.expiresAtMs() <= System.currentTimeMillis()));
            if (!expired) {
                continue;
            }
            for (LogKvNodeProcess node : nodes) {
                for (String consistency : List.of("eventual", "strong")) {
                    checked++;
                    LogKvHttp.Answer answer = http.get(node.url(), key, consistency, null, 5_000, Duration.ofSeconds(30));
                    if (answer.status() != 404 || !"key-not-found".equals(answer.problemType())) {
                        violations.add(node + " answers " + answer.describe() + " with version " + answer.etag() + " to a " + consistency
                                + " GET of " + key + ", expired; the log's last record: " + last.describe());
                    }
                }
            }
        }
        return new Check("every expired key reads as 404 through every node at the end (single GET, eventual and strong)", checked,
                violations);
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
                             IngestTopic ingest, long origin, boolean everything) throws IOException {
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
        if (ingest != null) {
            Files.write(out.resolve("ingest.txt"), ingest.entries().stream().map(IngestTopic.Entry::describe).toList());
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
