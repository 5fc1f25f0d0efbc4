package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.faults.NetworkLink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A network cut between one node and every broker, while clients write to that node: the node reaches
 * Kafka only through a {@link NetworkLink} (the brokers' proxied listener), which is made a blackhole for
 * longer than the writers' session timeout and then healed. The other node keeps its direct path and
 * takes over the cut node's partitions. Every write either succeeds (after the heal, or forwarded to the
 * other node) or gets a clean 503/504; none is lost, none is committed twice or against its answer, the
 * partitions have owners again after the heal, and both nodes then serve exactly what the log holds.
 */
@Tag("integration")
class NetworkCutIT {

    private static final int WRITERS = 8;
    private static final int READERS = 2;
    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration CUT = Duration.ofSeconds(8);
    private static final Duration AFTER_HEAL = Duration.ofSeconds(8);
    private static final Duration CLIENT_DEADLINE = Duration.ofSeconds(60);
    private static final Duration LONGEST_ANSWER = Duration.ofSeconds(33);
    private static final List<String> ARGUMENTS = List.of("--logkv.writer.session-timeout=3s");

    @TempDir
    Path dir;

    @Test
    void writesToANodeCutFromTheBrokersSucceedOrFailCleanlyAndNoneIsLost() throws Exception {
        LogKvHttp http = new LogKvHttp();
        try (ProcessCluster cluster = ProcessCluster.start(dir, true)) {
            try {
                NetworkLink link = cluster.brokerLink();
                LogKvNodeProcess cut = cluster.startNode("node-1", true, ARGUMENTS);
                LogKvNodeProcess other = cluster.startNode("node-2", false, ARGUMENTS);
                Map<Integer, String> before = ProcessCluster.awaitOwners(http, other, ProcessCluster.ownedByBoth(cut, other),
                        Duration.ofSeconds(60));
                Set<Integer> cutPartitions = FaultWorkload.partitionsOwnedBy(before, cut.url());
                Predicate<Integer> ofCut = cutPartitions::contains;
                ProcessCluster.log("owners: " + before + "; " + cut + " (through " + link.hostPorts() + ") owns " + cutPartitions);

                FaultWorkload load = new FaultWorkload(http, "cut", CLIENT_DEADLINE).start(cut.url(), WRITERS, cut.url(), READERS);
                long cutAt;
                long healedAt;
                OptionalLong takenOverAfterMs;
                OptionalLong ownedAgainAfterHealMs;
                String timeline;
                try (OwnershipTimeline owners = new OwnershipTimeline(http, other.url())) {
                    Thread.sleep(WARM_UP.toMillis());
                    ProcessCluster.log("blackhole between " + cut + " and the brokers after " + load.writes().size() + " writes");
                    cutAt = System.nanoTime();
                    link.blackhole();
                    Thread.sleep(CUT.toMillis());
                    healedAt = System.nanoTime();
                    link.heal();
                    ProcessCluster.log("healed after " + ProcessCluster.millisBetween(cutAt, healedAt) + " ms; "
                            + link.swallowedBytes() + " bytes swallowed");
                    Thread.sleep(AFTER_HEAL.toMillis());
                    load.stop();
                    ProcessCluster.awaitOwners(http, other, all -> true, Duration.ofSeconds(30));
                    takenOverAfterMs = owners.firstAfterMs(cutAt, ProcessCluster.ownedBy(other));
                    ownedAgainAfterHealMs = owners.firstAfterMs(healedAt, ProcessCluster.ownedByBoth(cut, other));
                    timeline = owners.describe(cutAt);
                }
                ProcessCluster.log("ownership as " + other + " sees it, ms after the cut:\n" + timeline);

                List<FaultWorkload.Op> writes = load.writes();
                List<FaultWorkload.Op> reads = load.reads();
                OptionalLong writeStall = FaultWorkload.firstSuccessAfterMs(writes, ofCut, cutAt);
                OptionalLong afterHeal = FaultWorkload.firstSuccessAfterMs(writes, ofCut, healedAt);
                long writeGap = FaultWorkload.longestGapMs(writes, ofCut, cutAt, healedAt + AFTER_HEAL.toNanos());
                System.out.printf("%nnetwork cut between a node and every broker (blackhole for %d ms, session timeout 3 s), %d writers"
                                + " and %d readers through the cut node:%n"
                                + "  other node owned every partition %s ms after the cut; both nodes owned partitions again %s ms"
                                + " after the heal%n"
                                + "  writes: %d, longest %d ms, clean failures %s; a write to the cut node's partitions begun at the cut"
                                + " was first acknowledged after %s ms (one begun at the heal: %s ms); none acknowledged for %d ms%n"
                                + "  reads:  %d, longest %d ms, clean failures %s%n%n",
                        ProcessCluster.millisBetween(cutAt, healedAt), WRITERS, READERS, FaultWorkload.show(takenOverAfterMs),
                        FaultWorkload.show(ownedAgainAfterHealMs),
                        writes.size(), FaultWorkload.longestMs(writes), FaultWorkload.cleanFailures(writes), FaultWorkload.show(writeStall),
                        FaultWorkload.show(afterHeal), writeGap, reads.size(), FaultWorkload.longestMs(reads), FaultWorkload.cleanFailures(reads));
                load.cleanWriteFailures(20).forEach(failure -> ProcessCluster.log("clean failure: " + failure));

                assertThat(load.violations()).as("answers other than a success or a clean 503/504").isEmpty();
                assertThat(FaultWorkload.longestMs(writes)).as("longest write, ms").isLessThanOrEqualTo(LONGEST_ANSWER.toMillis());
                assertThat(afterHeal).as("writes to the cut node's partitions acknowledged after the heal").isPresent();

                load.assertAgreesWithTheLog(cluster.bootstrapServers(), List.of(cut, other));
            } catch (Throwable failure) {
                cluster.printNodeLogs();
                throw failure;
            }
        }
    }
}
