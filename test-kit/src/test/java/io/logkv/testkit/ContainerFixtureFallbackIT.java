package io.logkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A cluster started with {@code logkv.test.kafka=testcontainers} is the cluster the suites need wherever it
 * runs: in containers where a Docker engine is found, in-process (and saying so) where none is.
 */
@Tag("integration")
class ContainerFixtureFallbackIT {

    @Test
    void aClusterAskedForInContainersRunsWithReplicationFactorThreeWhereverItCanRun() throws Exception {
        String before = System.getProperty(KafkaFixture.PROPERTY);
        System.setProperty(KafkaFixture.PROPERTY, KafkaFixture.TESTCONTAINERS.value());
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(KafkaTestCluster.class)).addAppender(log);
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3)) {
            boolean dockerMissing = ContainerBrokers.dockerMissing().isPresent();
            assertThat(cluster.fixture()).isEqualTo(dockerMissing ? KafkaFixture.IN_PROCESS : KafkaFixture.TESTCONTAINERS);
            List<String> fallbacks = log.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(line -> line.startsWith("event=kafka_fixture_fallback")).toList();
            if (dockerMissing) {
                assertThat(fallbacks).singleElement().asString()
                        .contains("property=logkv.test.kafka", "requested=testcontainers", "used=in-process", "no Docker engine was found");
            } else {
                assertThat(fallbacks).isEmpty();
            }
            assertThat(cluster.brokerIds()).hasSize(3);

            cluster.admin().createTopics(List.of(new NewTopic("fixture-check", 1, (short) 3)
                    .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2")))).all().get(60, TimeUnit.SECONDS);
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("fixture-check", "k", "v")).get(60, TimeUnit.SECONDS);
            }
            assertThat(cluster.admin().describeTopics(List.of("fixture-check")).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get("fixture-check").partitions().get(0).isr()).hasSize(3);
            assertThat(cluster.readCommitted(List.of(new TopicPartition("fixture-check", 0)))).hasSize(1);
        } finally {
            ((Logger) LoggerFactory.getLogger(KafkaTestCluster.class)).detachAppender(log);
            if (before == null) {
                System.clearProperty(KafkaFixture.PROPERTY);
            } else {
                System.setProperty(KafkaFixture.PROPERTY, before);
            }
        }
    }
}
