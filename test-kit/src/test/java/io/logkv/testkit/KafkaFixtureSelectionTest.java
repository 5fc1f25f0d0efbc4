package io.logkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Which brokers a test cluster runs on, from logkv.test.kafka and what this machine has. */
class KafkaFixtureSelectionTest {

    private final AtomicInteger dockerProbes = new AtomicInteger();

    private Supplier<Optional<String>> docker(Optional<String> missing) {
        return () -> {
            dockerProbes.incrementAndGet();
            return missing;
        };
    }

    @Test
    void withoutThePropertyTheBrokersRunInProcessAndDockerIsNotLookedFor() {
        KafkaFixtureSelection selection = KafkaFixtureSelection.choose(null, false, docker(Optional.of("none")));

        assertThat(selection.used()).isEqualTo(KafkaFixture.IN_PROCESS);
        assertThat(selection.fallback()).isEmpty();
        assertThat(dockerProbes).hasValue(0);
    }

    @Test
    void inProcessCanBeAskedForByName() {
        assertThat(KafkaFixtureSelection.choose("in-process", false, docker(Optional.empty())).used()).isEqualTo(KafkaFixture.IN_PROCESS);
        assertThat(dockerProbes).hasValue(0);
    }

    @Test
    void containersAreUsedWhenAskedForAndADockerEngineIsFound() {
        KafkaFixtureSelection selection = KafkaFixtureSelection.choose(" TestContainers ", false, docker(Optional.empty()));

        assertThat(selection.requested()).isEqualTo(KafkaFixture.TESTCONTAINERS);
        assertThat(selection.used()).isEqualTo(KafkaFixture.TESTCONTAINERS);
        assertThat(selection.fallback()).isEmpty();
        assertThat(dockerProbes).hasValue(1);
    }

    @Test
    void withoutADockerEngineContainersFallBackToInProcessBrokersSayingWhy() {
        KafkaFixtureSelection selection = KafkaFixtureSelection.choose("testcontainers", false,
                docker(Optional.of("Could not find a valid Docker environment")));

        assertThat(selection.requested()).isEqualTo(KafkaFixture.TESTCONTAINERS);
        assertThat(selection.used()).isEqualTo(KafkaFixture.IN_PROCESS);
        assertThat(selection.fallback()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("logkv.test.kafka=testcontainers")
                .contains("no Docker engine was found")
                .contains("Could not find a valid Docker environment")
                .contains("running on in-process brokers"));
    }

    @Test
    void saslClustersStayInProcessEvenWithADockerEngine() {
        KafkaFixtureSelection selection = KafkaFixtureSelection.choose("testcontainers", true, docker(Optional.empty()));

        assertThat(selection.used()).isEqualTo(KafkaFixture.IN_PROCESS);
        assertThat(selection.fallback()).hasValueSatisfying(reason -> assertThat(reason)
                .contains("logkv.test.kafka=testcontainers").contains("SASL clusters run in-process only"));
        assertThat(dockerProbes).hasValue(0);
    }

    @Test
    void anUnknownValueIsRefusedNamingTheAcceptedOnes() {
        assertThatThrownBy(() -> KafkaFixtureSelection.choose("docker", false, docker(Optional.empty())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logkv.test.kafka=docker")
                .hasMessageContaining("in-process, testcontainers");
    }

    @Test
    void brokerSettingsReachTheImageAsItsEnvironmentNamesThem() {
        assertThat(BrokerSettings.asImageEnvironment())
                .containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "2")
                .containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
                .containsEntry("KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE", "false")
                .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2")
                .hasSameSizeAs(BrokerSettings.ALL);
    }
}
