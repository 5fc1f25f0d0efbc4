package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.HomeLease;
import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.core.RegionName;
import io.logkv.testkit.KafkaTestCluster;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.Uuid;

/**
 * What the region a mirror copies into holds of a namespace: its registry entry, the home lease granted, the copy's
 * topic id.
 *
 * @param region   the target region of {@code settings}
 * @param settings the mirror's
 */
record CopyRegion(KafkaTestCluster region, MirrorSettings settings) {

    /** The settings of the tests' mirrors of {@code namespace} from region a into region b: short rescans, small polls. */
    static MirrorSettings settings(KafkaTestCluster regionA, KafkaTestCluster regionB, String namespace) {
        return MirrorSettings.of(new RegionName("a"), new RegionName("b"), regionA.bootstrapServers(), regionB.bootstrapServers(),
                        NamespaceSelection.of(List.of(namespace)))
                .withRescan(Duration.ofMillis(500))
                .withMaxPollRecords(50)
                .withTransactionTimeout(Duration.ofSeconds(10));
    }

    /** The namespace's entry in the region's registry; empty when it holds none. */
    Optional<NamespaceSettings> entry(String namespace) {
        return RegistryCopies.registryOf(KafkaConnection.of(region.bootstrapServers()), settings).latest(new NamespaceName(namespace));
    }

    /** The home lease the mirror committed here for the namespace's home; empty when it committed none. */
    Optional<HomeLease> lease(String namespace) {
        return positions().readCommitted(settings.sourceRegion(), new NamespaceName(namespace).truthTopic()).lease();
    }

    /** The id of the region's topic of that name. */
    Uuid topicId(String topic) throws Exception {
        return region.admin().describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).topicId();
    }

    /** The source topic id the mirror recorded for its copy of {@code topic}; empty when none. */
    Optional<Uuid> incarnation(String topic) {
        return new CopyIncarnations(region.admin(), KafkaConnection.of(region.bootstrapServers()), settings)
                .read(settings.sourceRegion(), topic);
    }

    /** The source region's name. */
    RegionName home() {
        return settings.sourceRegion();
    }

    private PositionsTopic positions() {
        return new PositionsTopic(region.admin(), KafkaConnection.of(region.bootstrapServers()), settings);
    }

    /** Waits, polling, until {@code condition} holds; fails saying {@code what} when {@code timeout} passes first. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < deadline).as("within %d s: %s", timeout.toSeconds(), what).isTrue();
            Thread.sleep(200);
        }
    }
}
