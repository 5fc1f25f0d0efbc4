package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.HomeLease;
import io.logkv.core.NamespaceSettings;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The home lease as the mirror renews it (docs/adr/0020, "Home leases"): only while its copy is current. A mirror that
 * copies nothing, refused or retrying, grants nothing, so the home's lease lapses and its nodes stop taking writes
 * that no copy would hold.
 */
@Tag("integration")
class HomeLeaseRenewalIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(60);
    /** Grants every 750 ms (a quarter of the lease), each lasting 3 s. */
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration SKEW = Duration.ofMillis(100);

    private final KafkaTestCluster regionA = KafkaTestCluster.sharedRegion("a");
    private final KafkaTestCluster regionB = KafkaTestCluster.sharedRegion("b");

    private MirrorSettings settings(String namespace) {
        return CopyRegion.settings(regionA, regionB, namespace).withHeartbeat(Duration.ofMillis(500)).withHomeLease(LEASE, SKEW);
    }

    @Test
    void mirrorThatStopsCopyingLetsTheHomeLeaseLapse() throws Exception {
        String topic = "logkv.truth.leased";
        AtomicBoolean failing = new AtomicBoolean();
        MirrorHooks commitsFailWhenTold = mirrored -> {
            if (failing.get()) {
                throw new KafkaException("injected: the commit failed");
            }
        };
        CopyRegion copy = new CopyRegion(regionB, settings("leased"));
        try (HomeNamespaces home = new HomeNamespaces(regionA);
             Mirror mirror = new Mirror(settings("leased"), new SimpleMeterRegistry(), commitsFailWhenTold)) {
            home.put("leased", new NamespaceSettings(2, Duration.ZERO));
            try (SourceWrites writes = new SourceWrites(regionA, topic, 2)) {
                writes.transaction(50, false);
                mirror.start();
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 2, "a", CATCH_UP);
                CopyRegion.await("the lease granted to a current copy", CATCH_UP,
                        () -> copy.lease("leased").map(lease -> lease.untilMs() > System.currentTimeMillis()).orElse(false));

                // From now on every transaction with records fails: the mirror retries, resuming again and again, and copies nothing.
                failing.set(true);
                writes.transaction(20, false);
                CopyRegion.await("the mirror retrying", CATCH_UP, () -> "RETRYING".equals(mirror.states().get(topic)));
                HomeLease last = copy.lease("leased").orElseThrow();
                // Three leases of retries, each resuming the mirror (about one a second): none grants anything.
                Thread.sleep(3 * LEASE.toMillis());
                HomeLease now = copy.lease("leased").orElseThrow();
                assertThat(now.untilMs()).as("no grant while the mirror copies nothing").isEqualTo(last.untilMs());
                assertThat(now.holdsAt(System.currentTimeMillis())).as("the lease has run out").isFalse();

                // Copying again, it grants again.
                failing.set(false);
                CopyRegion.await("the lease granted again", CATCH_UP,
                        () -> copy.lease("leased").map(lease -> lease.holdsAt(System.currentTimeMillis())).orElse(false));
            }
        }
    }

    /**
     * A mirror that copies, but more slowly than the home writes, is never current: it grants nothing, and the home's
     * lease runs out while the mirror is still copying, so that the home stops taking writes its copy lags behind.
     * Once it keeps up again, it grants again.
     */
    @Test
    void mirrorThatLagsBehindTheHomeLetsTheHomeLeaseLapse() throws Exception {
        String topic = "logkv.truth.laggedlease";
        AtomicBoolean lagging = new AtomicBoolean();
        // While lagging, each transaction (at most ten records) takes a second more: 10 records/s at most.
        MirrorHooks slowWhenTold = mirrored -> {
            if (lagging.get()) {
                Thread.sleep(1_000);
            }
        };
        MirrorSettings settings = settings("laggedlease").withMaxPollRecords(10).withTransactions(Duration.ofMillis(100), 10);
        CopyRegion copy = new CopyRegion(regionB, settings);
        try (HomeNamespaces home = new HomeNamespaces(regionA);
             Mirror mirror = new Mirror(settings, new SimpleMeterRegistry(), slowWhenTold);
             SourceWrites writes = new SourceWrites(regionA, topic, 2)) {
            home.put("laggedlease", new NamespaceSettings(2, Duration.ZERO));
            writes.transaction(50, false);
            mirror.start();
            MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 2, "a", CATCH_UP);
            CopyRegion.await("the lease granted to a current copy", CATCH_UP,
                    () -> copy.lease("laggedlease").map(lease -> lease.holdsAt(System.currentTimeMillis())).orElse(false));

            // The home writes 100 records/s; the mirror copies at most 10/s from now on.
            lagging.set(true);
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                while (writing.get()) {
                    writes.transaction(20, false);
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "lagged-lease-writer");
            writer.start();
            try {
                long copiedBefore = copiedEnd(topic);
                CopyRegion.await("the lease run out while the mirror copies", Duration.ofSeconds(4 * LEASE.toSeconds()),
                        () -> !copy.lease("laggedlease").map(lease -> lease.holdsAt(System.currentTimeMillis())).orElse(false));
                assertThat(mirror.states()).as(mirror.problem(topic)).containsEntry(topic, "MIRRORING");
                assertThat(copiedEnd(topic)).as("the mirror still copies, behind").isGreaterThan(copiedBefore);
                HomeLease lapsed = copy.lease("laggedlease").orElseThrow();
                Thread.sleep(LEASE.toMillis());
                assertThat(copy.lease("laggedlease").orElseThrow().untilMs()).as("no grant while the copy lags").isEqualTo(lapsed.untilMs());
            } finally {
                writing.set(false);
                writer.join(10_000);
            }

            // Keeping up again, it grants again.
            lagging.set(false);
            CopyRegion.await("the lease granted again", CATCH_UP,
                    () -> copy.lease("laggedlease").map(lease -> lease.holdsAt(System.currentTimeMillis())).orElse(false));
        }
    }

    @Test
    void refusedMirrorNeitherBindsNorGrantsTheHomeLease() throws Exception {
        String topic = "logkv.truth.refusedlease";
        CopyRegion copy = new CopyRegion(regionB, settings("refusedlease"));
        try (HomeNamespaces home = new HomeNamespaces(regionA);
             SourceWrites inB = new SourceWrites(regionB, topic, 2);
             Mirror mirror = new Mirror(settings("refusedlease"), new SimpleMeterRegistry())) {
            home.put("refusedlease", new NamespaceSettings(3, Duration.ZERO));
            mirror.start();
            CopyRegion.await("the mirror refused", CATCH_UP, () -> "REFUSED".equals(mirror.states().get(topic)));
            assertThat(mirror.problem(topic)).contains("2 partitions in the target region and 3 in the source");
            // Refused again at every rescan (each 500 ms) for a lease's time.
            Thread.sleep(LEASE.toMillis());
            assertThat(copy.lease("refusedlease")).as("no lease committed for a copy that cannot be made").isEmpty();
        }
    }

    /** The sum of the copy's partition ends in region b: it grows while the mirror copies. */
    private long copiedEnd(String topic) {
        try {
            return regionB.admin().listOffsets(Map.of(new TopicPartition(topic, 0), OffsetSpec.latest(), new TopicPartition(topic, 1),
                    OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(ListOffsetsResultInfo::offset).sum();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
