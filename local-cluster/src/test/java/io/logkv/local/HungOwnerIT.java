package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

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
 * A hung owner: two nodes as processes, clients write and read through one (the survivor), which forwards
 * the writes and reads of the other's partitions to it; that other node is stopped with SIGSTOP under the
 * load, so its sockets still accept and the kernel still queues requests, but nothing answers, and then
 * SIGCONT brings it back from where it stopped, unaware of the time it lost. Measures what the hang costs
 * writers and readers and when the group drops the hung node, and checks that nothing was lost or
 * duplicated, that every request got an answer (a success or a clean 503/504) within its bound, and that
 * the resumed node, deposed while it slept, makes none of its own records visible.
 *
 * <p>Each partition has one replica ({@code logkv.replicas.copies=1}), so the survivor must forward reads
 * too; with the default two copies on two nodes it would answer every read from its own replica.
 */
@Tag("integration")
class HungOwnerIT {

    private static final int WRITERS = 8;
    private static final int READERS = 4;
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(3);
    /**
     * The survivor's bound on a forwarded write ({@code logkv.writer.forward-timeout}); the default is 25 s,
     * which a run can choose with {@code -Dlogkv.fault.forward-timeout=25s} at the cost of a longer test.
     */
    private static final String FORWARD_TIMEOUT = System.getProperty("logkv.fault.forward-timeout", "10s");
    /** One forward of a write may go unanswered this long (the session timeout plus 2 s, as documented). */
    private static final Duration ATTEMPT_TIMEOUT = SESSION_TIMEOUT.plusSeconds(2);
    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration AFTER_RESUME = Duration.ofSeconds(4);
    /** A client's deadline, far above every bound of the node, so that a node that keeps a request too long shows. */
    private static final Duration CLIENT_DEADLINE = Duration.ofSeconds(60);
    /** Spring's bound on every asynchronous request (spring.mvc.async.request-timeout), plus scheduling slack. */
    private static final Duration LONGEST_ANSWER = Duration.ofSeconds(33);

    @TempDir
    Path dir;

    @Test
    void aHungOwnerCostsClientsAtMostTheForwardBoundAndItsResumeLosesNothingAndShowsNothingUncommitted() throws Exception {
        Duration forwardTimeout = Duration.ofSeconds(Long.parseLong(FORWARD_TIMEOUT.replace("s", "")));
        Duration hang = forwardTimeout.plus(Duration.ofSeconds(6));
        List<String> arguments = List.of("--logkv.writer.session-timeout=" + SESSION_TIMEOUT.toSeconds() + "s",
                "--logkv.writer.forward-timeout=" + FORWARD_TIMEOUT,
                "--logkv.writer.forward-attempt-timeout=" + ATTEMPT_TIMEOUT.toMillis() + "ms", "--logkv.replicas.copies=1",
                // A replica that left a node's placement is served there for this long: keep it short, so that the
                // survivor really forwards the reads of the hung node's partitions instead of serving its old replica.
                "--logkv.replicas.release-delay=1s");
        LogKvHttp http = new LogKvHttp();
        try (ProcessCluster cluster = ProcessCluster.start(dir, false)) {
            try {
                LogKvNodeProcess survivor = cluster.startNode("node-1", false, arguments);
                LogKvNodeProcess hung = cluster.startNode("node-2", false, arguments);
                Map<Integer, String> before = ProcessCluster.awaitOwners(http, survivor,
                        ProcessCluster.ownedByBoth(survivor, hung), Duration.ofSeconds(60));
                Set<Integer> hungPartitions = FaultWorkload.partitionsOwnedBy(before, hung.url());
                Predicate<Integer> ofHung = hungPartitions::contains;
                ProcessCluster.log("owners: " + before + "; " + hung + " owns " + hungPartitions);

                FaultWorkload load = new FaultWorkload(http, "hung", CLIENT_DEADLINE).start(survivor.url(), WRITERS, survivor.url(), READERS);
                long stoppedAt;
                long resumedAt;
                OptionalLong droppedAfterMs;
                String timeline;
                try (OwnershipTimeline owners = new OwnershipTimeline(http, survivor.url())) {
                    Thread.sleep(WARM_UP.toMillis());
                    ProcessCluster.log("SIGSTOP " + hung + " after " + load.writes().size() + " writes");
                    stoppedAt = System.nanoTime();
                    hung.suspend();
                    Thread.sleep(hang.toMillis());
                    ProcessCluster.log("SIGCONT " + hung + " after " + ProcessCluster.millisSince(stoppedAt) + " ms");
                    resumedAt = System.nanoTime();
                    hung.resume();
                    Thread.sleep(AFTER_RESUME.toMillis());
                    load.stop();
                    ProcessCluster.awaitOwners(http, survivor, all -> true, Duration.ofSeconds(30));
                    droppedAfterMs = owners.firstAfterMs(stoppedAt, ProcessCluster.ownedBy(survivor));
                    timeline = owners.describe(stoppedAt);
                }
                ProcessCluster.log("ownership, ms after the SIGSTOP:\n" + timeline);

                List<FaultWorkload.Op> writes = load.writes();
                List<FaultWorkload.Op> reads = load.reads();
                OptionalLong writeStall = FaultWorkload.firstSuccessAfterMs(writes, ofHung, stoppedAt);
                OptionalLong readStall = FaultWorkload.firstSuccessAfterMs(reads, ofHung, stoppedAt);
                long writeGap = FaultWorkload.longestGapMs(writes, p -> true, stoppedAt, resumedAt);
                long readGap = FaultWorkload.longestGapMs(reads, ofHung, stoppedAt, resumedAt);
                System.out.printf("%nhung owner (SIGSTOP for %d ms, session timeout %d s, forward timeout %s), %d writers and %d readers"
                                + " through the survivor:%n"
                                + "  group dropped the hung node after %s ms%n"
                                + "  writes: %d, longest %d ms, clean failures %s; a write to a hung partition begun at the SIGSTOP"
                                + " was first acknowledged after %s ms; no write acknowledged for %d ms%n"
                                + "  reads:  %d, longest %d ms, clean failures %s; a read of a hung partition begun at the SIGSTOP"
                                + " first succeeded after %s ms; hung partitions unreadable for %d ms%n%n",
                        ProcessCluster.millisBetween(stoppedAt, resumedAt), SESSION_TIMEOUT.toSeconds(),
                        FORWARD_TIMEOUT, WRITERS, READERS, FaultWorkload.show(droppedAfterMs),
                        writes.size(), FaultWorkload.longestMs(writes), FaultWorkload.cleanFailures(writes),
                        FaultWorkload.show(writeStall), writeGap,
                        reads.size(), FaultWorkload.longestMs(reads), FaultWorkload.cleanFailures(reads),
                        FaultWorkload.show(readStall), readGap);

                assertThat(load.violations()).as("answers other than a success or a clean 503/504").isEmpty();
                assertThat(FaultWorkload.longestMs(writes)).as("longest write, ms").isLessThanOrEqualTo(LONGEST_ANSWER.toMillis());
                assertThat(FaultWorkload.longestMs(reads)).as("longest read, ms").isLessThanOrEqualTo(LONGEST_ANSWER.toMillis());
                assertThat(droppedAfterMs).as("the group dropped the hung node").isPresent();
                assertThat(writeStall).as("writes to the hung node's partitions served again while it hung").isPresent();
                assertThat(writeStall.getAsLong()).as("stall of writes to the hung partitions, ms")
                        .isLessThan(ProcessCluster.millisBetween(stoppedAt, resumedAt))
                        .isLessThanOrEqualTo(SESSION_TIMEOUT.plus(ATTEMPT_TIMEOUT).plusSeconds(2).toMillis());
                // A write waits for a hung owner one forward attempt, then is retried or answered: never the whole
                // forward timeout.
                assertThat(FaultWorkload.longestMs(writes)).as("longest write, ms")
                        .isLessThanOrEqualTo(ATTEMPT_TIMEOUT.plus(SESSION_TIMEOUT).plusSeconds(3).toMillis());
                assertThat(readStall).as("reads of the hung node's partitions served again while it hung").isPresent();

                load.cleanWriteFailures(20).forEach(failure -> ProcessCluster.log("clean failure: " + failure));
                load.assertAgreesWithTheLog(cluster.bootstrapServers(), List.of(hung, survivor));
            } catch (Throwable failure) {
                cluster.printNodeLogs();
                throw failure;
            }
        }
    }
}
