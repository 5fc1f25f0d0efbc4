package io.logkv.query;

import io.logkv.core.NamespaceRegistry;
import io.logkv.testkit.KafkaTestCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A node refuses to start when a truth topic's settings could lose acknowledged writes. */
@Tag("integration")
class UnsafeTruthTopicIT {

    @TempDir
    Path dataDir;

    @Test
    void nodeRefusesToServeFromATruthTopicThatCouldLoseWrites() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3)) {
            LogKvNode.start("first", cluster.bootstrapServers(), dataDir.resolve("first")).close();
            cluster.admin().createTopics(List.of(new NewTopic("logkv.truth.risky", 1, (short) 3).configs(Map.of(
                    "min.insync.replicas", "1",
                    "cleanup.policy", "delete",
                    "unclean.leader.election.enable", "true")))).all().get(30, TimeUnit.SECONDS);
            register(cluster.bootstrapServers(), "risky");

            assertThatThrownBy(() -> LogKvNode.start("second", cluster.bootstrapServers(), dataDir.resolve("second")))
                    .rootCause()
                    .hasMessageContaining("refusing to serve")
                    .hasMessageContaining("min.insync.replicas=1")
                    .hasMessageContaining("unclean leader election")
                    .hasMessageContaining("cleanup.policy=delete");
        }
    }

    private static void register(String bootstrapServers, String namespace) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(NamespaceRegistry.TOPIC, namespace.getBytes(StandardCharsets.UTF_8),
                    "partitions=1\n".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
        assertThat(namespace).isNotEmpty();
    }
}
