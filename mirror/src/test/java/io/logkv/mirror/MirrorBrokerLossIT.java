package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.MirrorPosition;
import io.logkv.core.RegionName;
import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Tag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror through the loss of a broker of the target region, under writes: in turn the broker that
 * coordinates the mirror's transactions, the one that leads the positions topic, and the one that leads a
 * mirrored partition. The target is a cluster of its own, since a broker of it is stopped.
 */
@Tag("integration")
class MirrorBrokerLossIT {

    private static final Logger log = LoggerFactory.getLogger(MirrorBrokerLossIT.class);

    private final KafkaTestCluster regionA = KafkaTestCluster.sharedRegion("a");

    @RepeatedTest(3)
    void mirrorCopiesEachRecordOnceThroughTheLossOfATargetBroker(RepetitionInfo repetition) throws Exception {
        String namespace = "brokerloss" + repetition.getCurrentRepetition();
        String topic = "logkv.truth." + namespace;
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        try (KafkaTestCluster regionC = KafkaTestCluster.start(3);
             SourceWrites writes = new SourceWrites(regionA, topic, 3);
             Mirror mirror = new Mirror(MirrorSettings.of(new RegionName("a"), new RegionName("c"), regionA.bootstrapServers(),
                     regionC.bootstrapServers(), NamespaceSelection.of(List.of(namespace))).withMaxPollRecords(100),
                     new SimpleMeterRegistry())) {
            Thread writer = new Thread(() -> {
                try {
                    while (writing.get()) {
                        writes.transaction(20, false);
                        Thread.sleep(10);
                    }
                } catch (Throwable e) {
                    writerFailure.set(e);
                }
            }, "source-writer");
            writer.start();
            mirror.start();
            Thread.sleep(3000);

            int victim = switch (repetition.getCurrentRepetition()) {
                case 1 -> regionC.admin().describeTransactions(List.of(mirrorSettingsId(topic))).all().get(30, TimeUnit.SECONDS)
                        .values().iterator().next().coordinatorId();
                case 2 -> regionC.leaderOf(MirrorPosition.TOPIC, 0);
                default -> regionC.leaderOf(topic, 0);
            };
            log.info("event=broker_stopped broker={} repetition={}", victim, repetition.getCurrentRepetition());
            regionC.stopBroker(victim);
            Thread.sleep(5000);
            writing.set(false);
            writer.join(30_000);
            assertThat(writerFailure.get()).isNull();

            MirroredExactlyOnce.assertMirrored(regionA, regionC, topic, 3, "a", Duration.ofSeconds(90));
            assertThat(mirror.states()).containsEntry(topic, "MIRRORING");
        } finally {
            writing.set(false);
        }
    }

    private static String mirrorSettingsId(String topic) {
        return "logkv.mirror.a.c." + topic;
    }
}
