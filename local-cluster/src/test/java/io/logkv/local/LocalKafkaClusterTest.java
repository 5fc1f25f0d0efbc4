package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster behind {@code bin/logkv local}, through one life: three real broker processes honouring
 * LogKV's durability rules, stopped without leftovers, restarted on the same storage, and gone by
 * themselves when their launcher is. One cluster for all steps, in order, because every start and stop
 * of three JVMs costs seconds.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class LocalKafkaClusterTest {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final String TOPIC = "truth";

    @TempDir
    static Path dir;

    private final List<String> progress = new ArrayList<>();
    private Path kafkaDir;
    private KafkaPorts ports;
    private LocalKafkaCluster cluster;
    private String clusterId;
    private RecordMetadata firstWrite;

    @BeforeAll
    void startCluster() throws Exception {
        kafkaDir = dir.resolve("kafka");
        ports = KafkaPorts.ephemeral(LocalKafkaCluster.NODES);
        cluster = newCluster();
        cluster.start(START_TIMEOUT);
    }

    @AfterAll
    void stopCluster() throws InterruptedException {
        cluster.stop();
    }

    @Test
    @Order(1)
    void threeBrokersRunAsThreeSeparateProcesses() throws Exception {
        assertThat(cluster.brokers())
                .map(broker -> broker.processHandle().orElseThrow())
                .allMatch(ProcessHandle::isAlive)
                .doesNotContain(ProcessHandle.current())
                .doesNotHaveDuplicates();
        try (Admin admin = admin()) {
            assertThat(admin.describeCluster().nodes().get()).hasSize(3);
            clusterId = admin.describeCluster().clusterId().get();
        }
    }

    @Test
    @Order(2)
    void anRf3TopicWithMinInsyncReplicas2TakesAcksAllWrites() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get();

            // A topic just created may not be known to the broker that answers the description yet.
            TopicDescription topic = describedWithFullIsr(admin);
            assertThat(topic.partitions()).hasSize(3).allSatisfy(partition -> {
                assertThat(partition.replicas()).hasSize(3);
                assertThat(partition.isr()).hasSize(3);
            });
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
            assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource)
                    .get("min.insync.replicas").value()).isEqualTo("2");
        }
        List<RecordMetadata> written = writeAcksAll(10);
        assertThat(written).hasSize(10).allSatisfy(record -> assertThat(record.hasOffset()).isTrue());
        firstWrite = written.get(0);
    }

    /** The topic once every partition has its three replicas in sync: a topic just created may be unknown for a moment to the broker that answers. */
    private static TopicDescription describedWithFullIsr(Admin admin) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                TopicDescription topic = admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC);
                if (topic.partitions().stream().allMatch(partition -> partition.isr().size() == 3) || System.nanoTime() > deadline) {
                    return topic;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(100);
        }
    }

    @Test
    @Order(3)
    void stopLeavesNoBrokerProcessBehind() throws Exception {
        List<ProcessHandle> processes = cluster.brokers().stream()
                .map(broker -> broker.processHandle().orElseThrow())
                .toList();
        log("stopping");
        cluster.stop();
        log("stopped");
        assertThat(processes).noneMatch(ProcessHandle::isAlive);
    }

    @Test
    @Order(4)
    void restartReusesTheFormattedStorageWithItsClusterIdAndData() throws Exception {
        progress.clear();
        cluster = newCluster();
        cluster.start(START_TIMEOUT);

        assertThat(progress).noneMatch(line -> line.startsWith("formatting"));
        try (Admin admin = admin()) {
            assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
        }
        // The same key goes to the same partition, where the record written before the restart still is.
        RecordMetadata again = writeAcksAll(1).get(0);
        assertThat(again.partition()).isEqualTo(firstWrite.partition());
        assertThat(again.offset()).isGreaterThan(firstWrite.offset());
    }

    @Test
    @Order(5)
    void brokersStopThemselvesWhenTheLauncherIsGone() throws Exception {
        List<Process> processes = cluster.brokers().stream().map(broker -> broker.process().orElseThrow()).toList();
        // A dying launcher's end of each broker's stdin is closed by the kernel; this closes it by hand.
        for (Process process : processes) {
            process.getOutputStream().close();
        }
        for (Process process : processes) {
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("broker exited").isTrue();
        }
        log("brokers exited by themselves");
        assertThat(cluster.brokers().get(0).logTail(5)).contains("the launcher is gone");
    }

    private LocalKafkaCluster newCluster() throws Exception {
        return new LocalKafkaCluster(kafkaDir, ports, KafkaJvm.fromBuild(), line -> {
            progress.add(line);
            log(line);
        });
    }

    /** Progress with timestamps, into the test's output file: where the time goes when this test is slow. */
    private static void log(String line) {
        System.out.println(Instant.now() + " " + line);
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
    }

    private List<RecordMetadata> writeAcksAll(int records) throws Exception {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        List<RecordMetadata> written = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
                written.add(producer.send(new ProducerRecord<>(TOPIC, key, key)).get());
            }
        }
        return written;
    }
}
