package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A node killed with SIGKILL and restarted, first on its data directory (it resumes its replicas from the
 * positions they had applied), then with the directory wiped (it rebuilds every replica from the log).
 * Both times the other node takes the writes while it is down, and the restarted node must then serve
 * every one of those writes to a read carrying the write's token, and its replicas must agree with the
 * other node's, digest for digest, at the same log position.
 *
 * <p>Tagged {@code slow} (run by {@code -Plong}): two restarts on top of starting the cluster take one and a
 * half to three minutes on two cores.
 */
@Tag("slow")
class NodeRestartIT {

    private static final int WRITERS = 4;
    private static final Duration DOWN = Duration.ofSeconds(5);
    private static final Duration CLIENT_DEADLINE = Duration.ofSeconds(60);
    private static final List<String> ARGUMENTS = List.of("--logkv.writer.session-timeout=3s");

    @TempDir
    Path dir;

    @Test
    void aKilledNodeRestartedWithOrWithoutItsDataServesTheWritesItMissedAndAgreesWithItsPeer() throws Exception {
        LogKvHttp http = new LogKvHttp();
        try (ProcessCluster cluster = ProcessCluster.start(dir, false)) {
            try {
                LogKvNodeProcess stays = cluster.startNode("node-1", false, ARGUMENTS);
                LogKvNodeProcess restarted = cluster.startNode("node-2", false, ARGUMENTS);
                ProcessCluster.awaitOwners(http, stays, ProcessCluster.ownedByBoth(stays, restarted), Duration.ofSeconds(60));
                List<String> figures = new ArrayList<>();
                for (boolean wipe : List.of(false, true)) {
                    figures.add(killAndRestart(cluster, http, stays, restarted, wipe));
                }
                System.out.printf("%nnode SIGKILL and restart, %d writers through the other node for %d s while it was down:%n%s%n",
                        WRITERS, DOWN.toSeconds(), String.join("\n", figures));
            } catch (Throwable failure) {
                cluster.printNodeLogs();
                throw failure;
            }
        }
    }

    /** One round: kill, write through the other node, restart (wiped or not), then check. Returns the figures, one line. */
    private static String killAndRestart(ProcessCluster cluster, LogKvHttp http, LogKvNodeProcess stays, LogKvNodeProcess restarted,
                                         boolean wipe) throws Exception {
        String round = wipe ? "data wiped" : "data kept";
        ProcessCluster.log("SIGKILL " + restarted + " (" + round + ")");
        restarted.kill();
        FaultWorkload load = new FaultWorkload(http, wipe ? "wiped" : "kept", CLIENT_DEADLINE).start(stays.url(), WRITERS, stays.url(), 0);
        Thread.sleep(DOWN.toMillis());
        load.stop();
        assertThat(load.violations()).as(round + ": answers other than a success or a clean 503/504 while the node was down").isEmpty();
        Map<String, String> acknowledged = load.acknowledgedVersions();
        assertThat(acknowledged).as(round + ": writes acknowledged while the node was down").isNotEmpty();

        if (wipe) {
            restarted.wipeData();
            assertThat(restarted.dataDirectory()).doesNotExist();
        }
        Duration ready = ProcessCluster.startAndAwaitReady(restarted);

        // Every write made while it was down, read from it with that write's own token.
        long reading = System.nanoTime();
        List<String> wrong = new ArrayList<>();
        for (FaultWorkload.Op write : load.writes()) {
            if (!write.succeeded()) {
                continue;
            }
            LogKvHttp.Answer read = http.get(restarted.url(), write.key(), "session", write.answer().token(), 10_000, Duration.ofSeconds(30));
            if (read.status() != 200 || !write.answer().etag().equals(read.etag())) {
                wrong.add(write.key() + ": " + read.describe() + ", version " + read.etag() + " instead of " + write.answer().etag());
            }
        }
        long readMs = ProcessCluster.millisSince(reading);
        assertThat(wrong).as(round + ": token reads of the missed writes through the restarted node").isEmpty();

        long rejoining = System.nanoTime();
        ProcessCluster.awaitOwners(http, stays, ProcessCluster.ownedByBoth(stays, restarted), Duration.ofSeconds(60));
        long rejoinMs = ProcessCluster.millisSince(rejoining);
        JsonNode digests = http.digests(stays.url());
        ProcessCluster.log(round + ": digests " + digests);
        assertThat(digests.path("status").asString()).as(round + ": replica digests " + digests).isEqualTo("agree");
        for (JsonNode partition : digests.path("partitions")) {
            assertThat(partition.path("replicas").size()).as(round + ": replicas compared in " + partition).isEqualTo(2);
        }

        CommittedLogCheck log = CommittedLogCheck.read(cluster.bootstrapServers());
        List<String> lost = log.lost(acknowledged);
        assertThat(lost).as(round + ": acknowledged writes missing from the log"
                + LostWrites.explain(cluster.bootstrapServers(), ProcessCluster.TRUTH_TOPIC, lost)).isEmpty();
        assertThat(log.acknowledgedWithAnotherVersion(acknowledged)).as(round + ": acknowledged with another version").isEmpty();
        return String.format("  %s: %d writes acknowledged while down (longest %d ms, clean failures %s); ready %d ms after its start;"
                        + " %d token reads through it in %d ms; owning partitions again %d ms later; digests agree",
                round, acknowledged.size(), FaultWorkload.longestMs(load.writes()), FaultWorkload.cleanFailures(load.writes()),
                ready.toMillis(), acknowledged.size(), readMs, rejoinMs);
    }
}
