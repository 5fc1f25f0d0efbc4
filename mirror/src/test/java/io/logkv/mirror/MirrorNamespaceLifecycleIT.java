package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The mirror through a namespace's life in its home region (a) as the home's nodes create, change and delete it, and
 * through a promotion of the copy's region (b): the copy is registered once the namespace is, a namespace created
 * again is copied anew from its new log, and the copy's registry entry follows the home's settings but never takes
 * back a home a promotion gave the copy.
 */
@Tag("integration")
class MirrorNamespaceLifecycleIT {

    private static final Duration CATCH_UP = Duration.ofSeconds(60);

    private final KafkaTestCluster regionA = KafkaTestCluster.sharedRegion("a");
    private final KafkaTestCluster regionB = KafkaTestCluster.sharedRegion("b");

    private MirrorSettings settings(String namespace) {
        return CopyRegion.settings(regionA, regionB, namespace);
    }

    @Test
    void namespaceCreatedAgainAtHomeIsCopiedAnewFromItsNewLogNeverMixedWithTheOld() throws Exception {
        String topic = "logkv.truth.reborn";
        CopyRegion copy = new CopyRegion(regionB, settings("reborn"));
        try (HomeNamespaces home = new HomeNamespaces(regionA); Mirror mirror = new Mirror(settings("reborn"), new SimpleMeterRegistry())) {
            home.put("reborn", new NamespaceSettings(3, Duration.ZERO));
            try (SourceWrites first = new SourceWrites(regionA, topic, 3)) {
                first.transaction(200, false);
            }
            mirror.start();
            MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
            Uuid firstCopy = copy.topicId(topic);

            home.delete("reborn");
            home.put("reborn", new NamespaceSettings(3, Duration.ZERO));
            // A shorter log: the first copy's positions lie beyond its end.
            try (SourceWrites second = new SourceWrites(regionA, topic, 3)) {
                second.transaction(30, false);
            }
            MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 3, "a", CATCH_UP);
            assertThat(copy.topicId(topic)).as("the copy of the first log was replaced").isNotEqualTo(firstCopy);
            assertThat(copy.incarnation(topic)).contains(regionA.admin().describeTopics(List.of(topic)).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get(topic).topicId());
            CopyRegion.await("the copy registered again with its home", CATCH_UP,
                    () -> copy.entry("reborn").map(entry -> copy.home().equals(entry.home())).orElse(false));
            assertThat(mirror.states()).as(mirror.problem(topic)).containsEntry(topic, "MIRRORING");
        }
    }

    @Test
    void positionsWithoutASourceTopicIdAsAnEarlierVersionWroteThemAreResumedFrom() throws Exception {
        String topic = "logkv.truth.upgraded";
        CopyRegion copy = new CopyRegion(regionB, settings("upgraded"));
        try (SourceWrites writes = new SourceWrites(regionA, topic, 2)) {
            writes.transaction(100, false);
            try (Mirror before = new Mirror(settings("upgraded"), new SimpleMeterRegistry())) {
                before.start();
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 2, "a", CATCH_UP);
            }
            Uuid copied = copy.topicId(topic);
            forgetIncarnation(topic);
            assertThat(copy.incarnation(topic)).isEmpty();

            writes.transaction(100, false);
            try (Mirror after = new Mirror(settings("upgraded"), new SimpleMeterRegistry())) {
                after.start();
                MirroredExactlyOnce.assertMirrored(regionA, regionB, topic, 2, "a", CATCH_UP);
            }
            assertThat(copy.topicId(topic)).as("the copy was resumed, not replaced").isEqualTo(copied);
            assertThat(copy.incarnation(topic)).as("the source topic id recorded from then on").isPresent();
        }
    }

    @Test
    void mirrorStartedWhileItsNamespaceIsCreatedRegistersTheCopyAndGrantsTheLeaseOnceTheRegistryHoldsIt() throws Exception {
        CopyRegion copy = new CopyRegion(regionB, settings("nascent"));
        try (HomeNamespaces home = new HomeNamespaces(regionA); Mirror mirror = new Mirror(settings("nascent"), new SimpleMeterRegistry())) {
            home.createTopicOnly("nascent", 2);
            mirror.start();
            CopyRegion.await("the mirror copies", CATCH_UP, () -> "MIRRORING".equals(mirror.states().get("logkv.truth.nascent")));
            assertThat(copy.entry("nascent")).as("no copy registered before the namespace is").isEmpty();

            home.put("nascent", new NamespaceSettings(2, Duration.ZERO));
            CopyRegion.await("the copy registered with its home", CATCH_UP,
                    () -> copy.entry("nascent").map(entry -> copy.home().equals(entry.home())).orElse(false));
            CopyRegion.await("the home lease granted", CATCH_UP,
                    () -> copy.lease("nascent").map(lease -> lease.untilMs() > System.currentTimeMillis()).orElse(false));
        }
    }

    @Test
    void rescanNeverTakesBackTheHomeAPromotionGaveTheCopysRegion() throws Exception {
        String topic = "logkv.truth.handed";
        AtomicBoolean holdNext = new AtomicBoolean();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The rescan held after it read both registries, before it carries the home's settings to the copy.
        MirrorHooks holdRescan = new MirrorHooks() {
            @Override
            public void beforeCommit(String mirrored) {
            }

            @Override
            public void beforeRegistryRefresh() {
                if (holdNext.compareAndSet(true, false)) {
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        MirrorSettings settings = settings("handed").withRescan(Duration.ofHours(1));
        CopyRegion copy = new CopyRegion(regionB, settings);
        try (HomeNamespaces home = new HomeNamespaces(regionA); Mirror mirror = new Mirror(settings, new SimpleMeterRegistry(), holdRescan)) {
            home.put("handed", new NamespaceSettings(1, Duration.ZERO));
            mirror.start();
            CopyRegion.await("the copy registered with its home", CATCH_UP,
                    () -> copy.entry("handed").map(entry -> copy.home().equals(entry.home())).orElse(false));
            CopyRegion.await("the mirror copies", CATCH_UP, () -> "MIRRORING".equals(mirror.states().get(topic)));
            // A setting changed at home, for the next rescan to carry.
            home.put("handed", new NamespaceSettings(1, Duration.ofMinutes(1)));

            holdNext.set(true);
            Thread rescan = new Thread(mirror::rescan, "held-rescan");
            rescan.start();
            assertThat(held.await(60, TimeUnit.SECONDS)).as("the rescan read the registries").isTrue();
            // Meanwhile a promotion's last step: the copy's region names itself home.
            RegistryEntry promoted = new RegistryEntry(settings.targetKafka(), new NamespaceName("handed"), settings);
            promoted.write(promoted.read().orElseThrow().withHome(null));
            release.countDown();
            rescan.join(TimeUnit.SECONDS.toMillis(60));

            assertThat(copy.entry("handed")).as("region b is the home").hasValueSatisfying(entry -> assertThat(entry.home()).isNull());
        }
    }

    /** Drops the recorded source topic id of {@code topic}'s copy, as positions written by an earlier version have none. */
    private void forgetIncarnation(String topic) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, regionB.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(CopyIncarnations.record(new RegionName("a"), topic, null)).get(30, TimeUnit.SECONDS);
        }
    }
}
