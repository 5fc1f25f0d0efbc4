package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    private static final SecureListener SECURE = new SecureListener(Path.of("/data/secure/kafka"),
            new LocalKafkaCredentials("broker-pw", "logkv-pw", "keystore-pw", "truststore-pw"));

    private static Map<String, String> secureNode2() {
        return KafkaServerProperties.forNode(2, KafkaPorts.consecutive(19092, 3), Path.of("/data/kafka/broker-2/data"),
                Optional.empty(), Optional.of(SECURE));
    }

    @Test
    void aSecureNodeTakesClientsAndItsPeersOnlyOverSaslSslAndKeepsItsControllerOnLocalhost() {
        assertThat(secureNode2())
                .containsEntry("listeners", "SECURE://localhost:19093,CONTROLLER://localhost:19096")
                .containsEntry("advertised.listeners", "SECURE://localhost:19093,CONTROLLER://localhost:19096")
                .containsEntry("listener.security.protocol.map", "SECURE:SASL_SSL,CONTROLLER:PLAINTEXT")
                .containsEntry("inter.broker.listener.name", "SECURE")
                .containsEntry("controller.listener.names", "CONTROLLER")
                .containsEntry("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512")
                .containsEntry("listener.name.secure.sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .doesNotContainKey("sasl.enabled.mechanisms");
        assertThat(secureNode2().values()).noneMatch(value -> value.contains("PLAINTEXT://"));
    }

    @Test
    void aSecureNodeAuthenticatesToItsPeersAsTheBrokerUserAndServesTheGeneratedCertificate() {
        assertThat(secureNode2())
                .containsEntry("listener.name.secure.scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"broker-pw\";")
                .containsEntry("ssl.keystore.type", "PKCS12")
                .containsEntry("ssl.keystore.location", "/data/secure/kafka/keystore.p12")
                .containsEntry("ssl.keystore.password", "keystore-pw")
                .containsEntry("ssl.key.password", "keystore-pw")
                .containsEntry("ssl.truststore.location", "/data/secure/kafka/truststore.p12")
                .containsEntry("ssl.truststore.password", "truststore-pw");
    }

    @Test
    void aSecureNodeFollowsTheSameDurabilityRulesAsAPlainOne() {
        Map<String, String> secure = secureNode2();
        node2.forEach((name, value) -> {
            if (!name.contains("listener")) {
                assertThat(secure).as(name).containsEntry(name, value);
            }
        });
    }

    @Test
    void aSecureClusterHasNoProxiedListener() {
        ProxiedListener proxied = new ProxiedListener(List.of(29092, 29093, 29094), List.of(39092, 39093, 39094));
        assertThatThrownBy(() -> KafkaServerProperties.forNode(2, KafkaPorts.consecutive(19092, 3), Path.of("/d"),
                Optional.of(proxied), Optional.of(SECURE))).isInstanceOf(IllegalArgumentException.class);
    }
}
