package io.logkv.benchmark;

import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;

/**
 * The write path against its physical limits, interleaved within each repetition so a shared machine's
 * drift spreads over every case: (a) a raw acks=all producer, (b) a raw transactional producer with group
 * commit, (c) LogKV nodes over HTTP with and without group commit, unconditional and put-if-absent.
 */
final class WritePathBench {

    static final String SECTION = "write";
    static final String RAW = "raw producer, acks=all, sync sends (baseline)";
    static final String GROUP_COMMIT = "raw transactional producer, group commit";
    static final String LOGKV = "LogKV PUT, group commit";
    static final String LOGKV_CONDITIONAL = "LogKV PUT If-None-Match: *, group commit";
    static final String LOGKV_NO_LINGER = "LogKV PUT, group commit without commit linger";
    static final String LOGKV_SINGLE = "LogKV PUT, 1 write per transaction";
    static final String LOGKV_SINGLE_CONDITIONAL = "LogKV PUT If-None-Match: *, 1 write per transaction";
    private static final String NAMESPACE = "default";

    private final BenchSettings settings;
    private final String bootstrapServers;
    private final Admin admin;
    private final BenchResults results;
    private final BenchProgress progress;
    private final ClosedLoop loop;
    private final byte[] value;

    /** {@code bootstrapServers} and {@code admin} are null when only a given node (--url) is measured. */
    WritePathBench(BenchSettings settings, String bootstrapServers, Admin admin, BenchResults results, BenchProgress progress) {
        this.settings = settings;
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
        this.results = results;
        this.progress = progress;
        this.loop = new ClosedLoop(settings.warmUp(), settings.measure());
        this.value = Values.of(settings.valueBytes(), 7);
    }

    static int plannedSteps(BenchSettings settings) {
        int cases = settings.url() == null ? 7 : (settings.bootstrapServers() == null ? 2 : 4);
        return cases * settings.writeClients().size() * settings.repeats();
    }

    void run() {
        String rawTopic = "bench.raw-writes";
        if (bootstrapServers != null) {
            // Created as LogKV creates truth topics (compacted, RF 3, min ISR 2), so only the path differs.
            new TruthTopics(admin, new TruthTopicRequirements(3, 2, 2_000_000), Duration.ofSeconds(30))
                    .ensure(rawTopic, settings.partitions());
        }
        // Run 0 is a warm-up round at the highest concurrency, not counted: without it the JIT's work
        // lands on whichever case runs first.
        for (int run = 0; run <= settings.repeats(); run++) {
            String tag = "r" + run + "-" + System.currentTimeMillis();
            List<Integer> clientCounts = run == 0 ? List.of(Collections.max(settings.writeClients())) : settings.writeClients();
            if (bootstrapServers != null) {
                for (int clients : clientCounts) {
                    measure(RAW, clients, run, new RawProducerWrites(bootstrapServers, rawTopic, value, tag + "-" + clients));
                }
                for (int clients : clientCounts) {
                    measure(GROUP_COMMIT, clients, run, new GroupCommitWrites(bootstrapServers, rawTopic, value, tag + "-" + clients));
                }
            }
            if (settings.url() != null) {
                measureNode(new HttpKeys(settings.url()), LOGKV, LOGKV_CONDITIONAL, tag, run, clientCounts);
            } else {
                try (BenchNode node = startNode("bench-writer-grouped")) {
                    // Each node's keys carry its own tag: the same key on two nodes would make put-if-absent
                    // on the second answer 412 for the wrong reason.
                    measureNode(new HttpKeys(node.baseUrl()), LOGKV, LOGKV_CONDITIONAL, tag + "-grouped", run, clientCounts);
                }
                try (BenchNode node = startNode("bench-writer-no-linger", "--logkv.writer.commit-linger=0")) {
                    for (int clients : clientCounts) {
                        measure(LOGKV_NO_LINGER, clients, run,
                                new LogKvHttpWrites(new HttpKeys(node.baseUrl()), NAMESPACE, value, tag + "-n" + clients, false));
                    }
                }
                try (BenchNode node = startNode("bench-writer-single", "--logkv.writer.max-batch-records=1")) {
                    measureNode(new HttpKeys(node.baseUrl()), LOGKV_SINGLE, LOGKV_SINGLE_CONDITIONAL, tag + "-single", run, clientCounts);
                }
            }
        }
    }

    private BenchNode startNode(String nodeId, String... args) {
        progress.say("starting LogKV node " + nodeId + " " + String.join(" ", args));
        Path dataDir = settings.workDir().resolve(nodeId);
        return BenchNode.start(nodeId, bootstrapServers, dataDir, args);
    }

    private void measureNode(HttpKeys keys, String unconditional, String conditional, String tag, int run,
                             List<Integer> clientCounts) {
        for (int clients : clientCounts) {
            measure(unconditional, clients, run, new LogKvHttpWrites(keys, NAMESPACE, value, tag + "-u" + clients, false));
            measure(conditional, clients, run, new LogKvHttpWrites(keys, NAMESPACE, value, tag + "-c" + clients, true));
        }
    }

    private void measure(String name, int clients, int run, WriteTarget target) {
        try (target) {
            target.takeRecordsPerTransaction();
            RunSample sample = loop.run(clients, target::write);
            sample = sample.withRecordsPerTransaction(target.takeRecordsPerTransaction());
            String load = clients + (clients == 1 ? " client" : " clients");
            if (run == 0) {
                progress.say("warm-up (not counted): " + name + ", " + load);
                return;
            }
            results.add(SECTION, name, load, name.equals(RAW) ? null : RAW, CaseFigures.Ratio.THROUGHPUT,
                    progress.report(name + ", " + load + ", run " + run, sample));
            if (sample.errors() > 0) {
                results.note(String.format("%s, %s, run %d: failures by kind (warm-up included): %s", name, load, run,
                        loop.errorsOfLastRun()));
            }
        }
    }
}
