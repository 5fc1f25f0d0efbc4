package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KafkaServerPropertiesTest {

    private final Map<String, String> node2 =
            KafkaServerProperties.forNode(2, KafkaPorts.consecutive(19092, 3), Path.of("/data/kafka/broker-2/data"));

    @Test
    void followLogKvsDurabilityRules() {
        assertThat(node2)
                .containsEntry("default.replication.factor", "3")
                .containsEntry("min.insync.replicas", "2")
                .containsEntry("unclean.leader.election.enable", "false")
                .containsEntry("offsets.topic.replication.factor", "3")
                .containsEntry("transaction.state.log.replication.factor", "3")
                .containsEntry("transaction.state.log.min.isr", "2");
    }

    @Test
    void makeEachNodeABrokerAndAVoterWithItsOwnPorts() {
        assertThat(node2)
                .containsEntry("process.roles", "broker,controller")
                .containsEntry("node.id", "2")
                .containsEntry("listeners", "PLAINTEXT://localhost:19093,CONTROLLER://localhost:19096")
                .containsEntry("controller.quorum.bootstrap.servers", "localhost:19095,localhost:19096,localhost:19097")
                .doesNotContainKey("controller.quorum.voters");
    }

    @Test
    void advertiseTheProxyOfAProxiedListenerAndKeepThePlainOneForTheBrokers() {
        ProxiedListener proxied = new ProxiedListener(List.of(29092, 29093, 29094), List.of(39092, 39093, 39094));
        Map<String, String> properties = KafkaServerProperties.forNode(2, KafkaPorts.consecutive(19092, 3),
                Path.of("/data/kafka/broker-2/data"), Optional.of(proxied));
        assertThat(properties)
                .containsEntry("listeners", "PLAINTEXT://localhost:19093,CONTROLLER://localhost:19096,PROXIED://localhost:29093")
                .containsEntry("advertised.listeners",
                        "PLAINTEXT://localhost:19093,CONTROLLER://localhost:19096,PROXIED://localhost:39093")
                .containsEntry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT")
                .containsEntry("inter.broker.listener.name", "PLAINTEXT");
        assertThat(proxied.bootstrapServers()).isEqualTo("localhost:39092,localhost:39093,localhost:39094");
    }
}
