package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.RegionName;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The mirror between two real 3-broker clusters ("regions" a and b), running inside the test JVM. */
@Tag("integration")
class MirrorIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(60);

    private final KafkaTestCluster regionA = KafkaTestCluster.sharedRegion("a");
    private final KafkaTestCluster regionB = KafkaTestCluster.sharedRegion("b");

    private MirrorSettings settings(String namespace) {
        return CopyRegion.settings(regionA, regionB, namespace);
    }

    @Test
    void committedRecordsAppearOnceInOrderWithKeysValuesHeadersAndPartitionsAbortedOnesNever() throws Exception {
        String topic = "logkv.truth.mirrored";
        try (SourceWrites writes = new SourceWrites(regionA, topic, 3)) {
            for (int t = 0; t < 20; t++) {
                writes.transaction(25, t % 4 == 3);
            }
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (Mirror mirror = new Mirror(settings("mirrored"), meters)) {
                mirror.start();
                // Written while the mirror runs, too.
                for (int t = 0; t < 20; t++) {
                    writes.transaction(25, t % 4 == 1);
                }
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
                assertThat(writes.aborted()).isPositive();
                assertThat(mirror.states()).containsEntry(topic, "MIRRORING");

                assertThat(meters.get("logkv.mirror.records").tag("topic", topic).counter().count()).isEqualTo(writes.committed());
                assertThat(meters.get("logkv.mirror.last.mirrored.timestamp").tag("topic", topic).gauges())
                        .hasSize(3).allSatisfy(gauge -> assertThat(gauge.value()).isPositive());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (meters.get("logkv.mirror.lag.records").tag("topic", topic).gauges().stream().anyMatch(g -> g.value() != 0)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertThat(meters.get("logkv.mirror.lag.records").tag("topic", topic).gauges())
                        .hasSize(3).allSatisfy(gauge -> assertThat(gauge.value()).isZero());
            }
        }
    }

    @Test
    void mirrorStartedAgainResumesWhereItsLastTransactionCommitted() throws Exception {
        String topic = "logkv.truth.resumed";
        try (SourceWrites writes = new SourceWrites(regionA, topic, 2)) {
            writes.transaction(200, false);
            try (Mirror first = new Mirror(settings("resumed"), new SimpleMeterRegistry())) {
                first.start();
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 2, "a", CATCH_UP);
            }
            writes.transaction(200, false);
            writes.transaction(50, true);
            try (Mirror second = new Mirror(settings("resumed"), new SimpleMeterRegistry())) {
                second.start();
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 2, "a", CATCH_UP);
            }
        }
    }

    @Test
    void namespacesMatchingThePatternAreFoundByTheRescanOthersAreNot() throws Exception {
        MirrorSettings byPattern = settings("unused").withRescan(Duration.ofMillis(300));
        byPattern = new MirrorSettings(byPattern.sourceRegion(), byPattern.targetRegion(), byPattern.sourceKafka(),
                byPattern.targetKafka(), NamespaceSelection.matching("late-.*"), byPattern.rescan(),
                byPattern.maxPollRecords(), byPattern.commitInterval(), byPattern.maxTransactionRecords(),
                byPattern.transactionTimeout(), byPattern.kafkaTimeout(),
                byPattern.positionsReadTimeout(), byPattern.retryBackoff(), byPattern.heartbeat(), byPattern.homeLease(),
                byPattern.maxClockSkew());
        try (Mirror mirror = new Mirror(byPattern, new SimpleMeterRegistry())) {
            mirror.start();
            try (SourceWrites late = new SourceWrites(regionA, "logkv.truth.late-one", 2);
                 SourceWrites other = new SourceWrites(regionA, "logkv.truth.other-one", 2)) {
                late.transaction(30, false);
                other.transaction(30, false);
                MirroredExactlyOnce.assertMirrored(regionA, regionB, "logkv.truth.late-one", 2, "a", CATCH_UP);
                assertThat(mirror.states()).containsOnlyKeys("logkv.truth.late-one");
                assertThat(regionB.admin().listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("logkv.truth.other-one");
            }
        }
    }

    @Test
    void failedCommitsAndCommitsWithALostAnswerResumeFromTheCommittedPositions() throws Exception {
        String topic = "logkv.truth.failing";
        AtomicInteger commits = new AtomicInteger();
        MirrorHooks failing = new MirrorHooks() {
            @Override
            public void beforeCommit(String mirrored) {
                if (commits.incrementAndGet() % 3 == 0) {
                    throw new KafkaException("injected: the commit failed");
                }
            }

            @Override
            public void afterCommit(String mirrored) {
                if (commits.get() % 4 == 0) {
                    throw new TimeoutException("injected: the commit's answer was lost");
                }
            }
        };
        try (SourceWrites writes = new SourceWrites(regionA, topic, 3);
             Mirror mirror = new Mirror(settings("failing").withMaxPollRecords(30).withTransactions(Duration.ZERO, 30),
                     new SimpleMeterRegistry(), failing)) {
            mirror.start();
            for (int t = 0; t < 30; t++) {
                writes.transaction(20, t % 5 == 2);
            }
            MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
            assertThat(commits.get()).as("commits tried, a third of them failed").isGreaterThan(6);
        }
    }

    @Test
    void transactionLeftOpenOnATargetPartitionIsAbortedBeforeTheMirrorWritesBehindIt() throws Exception {
        String topic = "logkv.truth.leftopen";
        try (SourceWrites writes = new SourceWrites(regionA, topic, 3)) {
            writes.transaction(60, false);
            try (Mirror first = new Mirror(settings("leftopen"), new SimpleMeterRegistry())) {
                first.start();
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
            }
            // Another producer leaves a transaction open on partition 1 of the target, for longer than any test waits.
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, regionB.bootstrapServers());
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "left-open");
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 600_000);
            try (KafkaProducer<byte[], byte[]> leftOpen = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                leftOpen.initTransactions();
                leftOpen.beginTransaction();
                leftOpen.send(new ProducerRecord<>(topic, 1, "stray".getBytes(StandardCharsets.UTF_8), new byte[1])).get(30, TimeUnit.SECONDS);

                writes.transaction(60, false);
                try (Mirror second = new Mirror(settings("leftopen"), new SimpleMeterRegistry())) {
                    second.start();
                    MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
                }
            }
        }
    }

    @Test
    void aMirrorStoppedInTheMiddleOfATransactionAbortsIt() throws Exception {
        String topic = "logkv.truth.stopped";
        CountDownLatch holding = new CountDownLatch(1);
        // Records and positions sent, then held before the commit until the stop interrupts the thread.
        MirrorHooks holdUntilStopped = mirroredTopic -> {
            holding.countDown();
            Thread.sleep(Long.MAX_VALUE);
        };
        try (SourceWrites writes = new SourceWrites(regionA, topic, 3)) {
            writes.transaction(100, false);
            Mirror mirror = new Mirror(settings("stopped").withRescan(Duration.ofHours(1)).withTransactionTimeout(Duration.ofSeconds(120)),
                    new SimpleMeterRegistry(), holdUntilStopped);
            mirror.start();
            assertThat(holding.await(60, TimeUnit.SECONDS)).as("the mirror reached its commit").isTrue();
            mirror.close();
            // Without the abort, the transaction would stay open for its 120 s timeout, holding every read_committed
            // reader of those partitions (the target region's replicas) back.
            TargetLog.assertNoOpenTransaction(regionB, List.of(topic, io.logkv.core.MirrorPosition.TOPIC));
            assertThat(regionB.readCommitted(List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                    new TopicPartition(topic, 2)))).as("nothing of the stopped transaction is visible").isEmpty();
        }
    }

    @Test
    void zombieMirrorCannotGetRecordsIntoTheTarget() throws Exception {
        String topic = "logkv.truth.zombie";
        CountDownLatch zombieHolding = new CountDownLatch(1);
        CountDownLatch releaseZombie = new CountDownLatch(1);
        AtomicBoolean held = new AtomicBoolean();
        // The zombie sends a transaction's records and positions, then stalls before committing it.
        MirrorHooks stallOnce = mirroredTopic -> {
            if (held.compareAndSet(false, true)) {
                zombieHolding.countDown();
                releaseZombie.await();
            }
        };
        try (SourceWrites writes = new SourceWrites(regionA, topic, 3);
             Mirror zombie = new Mirror(settings("zombie").withRescan(Duration.ofHours(1)), new SimpleMeterRegistry(), stallOnce)) {
            writes.transaction(100, false);
            zombie.start();
            assertThat(zombieHolding.await(60, TimeUnit.SECONDS)).as("the first mirror reached its commit").isTrue();

            try (Mirror successor = new Mirror(settings("zombie"), new SimpleMeterRegistry())) {
                successor.start();
                writes.transaction(100, false);
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);

                // The zombie wakes up and commits what it holds: the commit must fail, leaving no duplicate.
                releaseZombie.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!"FENCED".equals(zombie.states().get(topic)) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                writes.transaction(100, false);
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
                assertThat(zombie.states()).as(zombie.problem(topic)).containsEntry(topic, "FENCED");
                assertThat(successor.states()).containsEntry(topic, "MIRRORING");
            }
        }
    }

    @Test
    void targetTopicWithAnotherPartitionCountIsRefused() throws Exception {
        try (SourceWrites inB = new SourceWrites(regionB, "logkv.truth.repartitioned", 2)) {
            assertRefused("repartitioned", "2 partitions in the target region and 3 in the source");
        }
    }

    @Test
    void unsafeTargetTopicIsRefused() throws Exception {
        regionB.admin().createTopics(List.of(new NewTopic("logkv.truth.unsafeinb", 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        assertRefused("unsafeinb", "cleanup.policy=delete");
    }

    @Test
    void targetTopicHoldingRecordsTheMirrorDidNotWriteIsRefused() throws Exception {
        try (SourceWrites inB = new SourceWrites(regionB, "logkv.truth.homeinb", 3)) {
            inB.transaction(10, false);
            assertRefused("homeinb", "already holds records");
        }
    }

    @Test
    void copyInTheTargetRegionIsNeverMirroredBackToItsHome() throws Exception {
        String topic = "logkv.truth.roundtrip";
        MirrorSettings back = MirrorSettings.of(new RegionName("b"), new RegionName("a"), regionB.bootstrapServers(),
                regionA.bootstrapServers(), NamespaceSelection.of(List.of("roundtrip"))).withRescan(Duration.ofHours(1));
        try (SourceWrites writes = new SourceWrites(regionA, topic, 3);
             Mirror forth = new Mirror(settings("roundtrip"), new SimpleMeterRegistry())) {
            // Both copies are still empty: only the claim of the first mirror tells the second that b holds a copy.
            forth.start();
            awaitState(forth, topic, "MIRRORING");
            try (Mirror backAgain = new Mirror(back, new SimpleMeterRegistry())) {
                backAgain.start();
                awaitState(backAgain, topic, "REFUSED");
                assertThat(backAgain.problem(topic)).contains("is itself a mirror's copy in region b");
                // The refused mirror claimed nothing in the home region: the mirror from the home still starts.
                try (Mirror forthAgain = new Mirror(settings("roundtrip"), new SimpleMeterRegistry())) {
                    forthAgain.start();
                    awaitState(forthAgain, topic, "MIRRORING");
                }

                writes.transaction(50, false);
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
                assertThat(regionA.readCommitted(List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                        new TopicPartition(topic, 2)))).hasSize((int) writes.committed());
            }
        }
    }

    /** Writes into the namespace in region a, starts a mirror of it, and expects it refused for {@code reason}. */
    private void assertRefused(String namespace, String reason) throws InterruptedException {
        String topic = "logkv.truth." + namespace;
        try (SourceWrites writes = new SourceWrites(regionA, topic, 3);
             Mirror mirror = new Mirror(settings(namespace).withRescan(Duration.ofHours(1)), new SimpleMeterRegistry())) {
            writes.transaction(10, false);
            mirror.start();
            awaitState(mirror, topic, "REFUSED");
            assertThat(mirror.problem(topic)).contains(reason);
        }
    }

    private static void awaitState(Mirror mirror, String topic, String state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!state.equals(mirror.states().get(topic)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(mirror.states()).as(mirror.problem(topic)).containsEntry(topic, state);
    }
}
