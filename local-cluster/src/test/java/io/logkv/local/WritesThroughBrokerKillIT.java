package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brokers as separate processes, the leader of a written partition killed with SIGKILL under concurrent
 * writes with long deadlines: no write fails, no acknowledged write is lost (read back from Kafka), and
 * the longest write is printed next to a raw producer's on the same cluster.
 */
@Tag("integration")
class WritesThroughBrokerKillIT {

    private static final int WRITERS = 8;
    private static final Duration AFTER_KILL = Duration.ofSeconds(20);
    private static final byte[] VALUE = "v".repeat(1024).getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void writesWaitOutTheLossOfALeaderBrokerAndNoAcknowledgedWriteIsLost() throws Exception {
        LocalKafkaCluster cluster = new LocalKafkaCluster(dir.resolve("kafka"), KafkaPorts.ephemeral(LocalKafkaCluster.NODES),
                KafkaJvm.fromBuild(), WritesThroughBrokerKillIT::log);
        cluster.start(Duration.ofSeconds(90));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
             LogKvNode node = LogKvNode.start("kill-1", 0, cluster.bootstrapServers(), dir.resolve("node"),
                     dir.resolve("node.log"), false, List.of(LocalCommand.OPEN))) {
            assertThat(node.awaitReady(Duration.ofSeconds(90))).isEmpty();
            String baseUrl = "http://localhost:" + node.httpPort().orElseThrow();

            Outcome raw = rawProducerThroughKill(cluster, admin);
            log("raw producer: " + raw);
            KafkaBrokerProcess killed = raw.killed();
            killed.start();
            awaitFullIsr(admin, "logkv.truth.default");

            Outcome logKv = logKvThroughKill(cluster, admin, baseUrl);
            log("LogKV PUT: " + logKv);
            System.out.printf("%nbroker SIGKILL under %d writers: longest raw producer write %d ms, longest LogKV PUT %d ms%n%n",
                    WRITERS, raw.longestMs(), logKv.longestMs());

            assertThat(logKv.errors()).as("failed writes: " + logKv.failures()).isEmpty();
            assertThat(logKv.acknowledged()).isNotEmpty();
            Set<String> inKafka = CommittedKeys.of(cluster.bootstrapServers(), "logkv.truth.default");
            List<String> lost = logKv.acknowledged().stream().filter(key -> !inKafka.contains(key)).sorted().toList();
            assertThat(lost).as("acknowledged writes missing from the truth topic"
                    + LostWrites.explain(cluster.bootstrapServers(), "logkv.truth.default", lost)).isEmpty();
        } finally {
            cluster.stop();
        }
    }

    private Outcome rawProducerThroughKill(LocalKafkaCluster cluster, Admin admin) throws Exception {
        admin.createTopics(List.of(new NewTopic("raw", 6, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            return underLoad(cluster, admin, "raw", key -> {
                producer.send(new ProducerRecord<>("raw", key.getBytes(StandardCharsets.UTF_8), VALUE)).get();
                return true;
            });
        }
    }

    private Outcome logKvThroughKill(LocalKafkaCluster cluster, Admin admin, String baseUrl) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return underLoad(cluster, admin, "logkv.truth.default", key -> {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/namespaces/default/keys/" + key))
                    .timeout(Duration.ofSeconds(60)).PUT(HttpRequest.BodyPublishers.ofByteArray(VALUE)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200) {
                throw new IllegalStateException(answer.statusCode() + " " + answer.body());
            }
            return true;
        });
    }

    /** Writers write distinct keys; after a warm-up the leader of partition 0 of {@code topic} is killed. */
    private Outcome underLoad(LocalKafkaCluster cluster, Admin admin, String topic, Write write) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong longestNanos = new AtomicLong();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Map<String, String> failures = new ConcurrentHashMap<>();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        List<Future<?>> running0 = new ArrayList<>();
        String prefix = topic.replace('.', '-') + "-" + System.nanoTime() + "-";
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            running0.add(writers.submit(() -> {
                for (int i = 0; running.get(); i++) {
                    String key = prefix + writer + "-" + i;
                    long start = System.nanoTime();
                    try {
                        write.write(key);
                        acknowledged.add(key);
                    } catch (Exception e) {
                        failures.put(key, e.toString());
                    }
                    longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
                }
            }));
        }
        Thread.sleep(3_000);
        int leader = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0).leader().id();
        KafkaBrokerProcess victim = cluster.brokers().stream().filter(b -> b.nodeId() == leader).findFirst().orElseThrow();
        long before = acknowledged.size();
        log("SIGKILL broker " + leader + " (leader of " + topic + "-0) after " + before + " writes");
        victim.kill();
        Thread.sleep(AFTER_KILL.toMillis());
        running.set(false);
        for (Future<?> f : running0) {
            f.get(90, TimeUnit.SECONDS);
        }
        writers.shutdown();
        return new Outcome(victim, TimeUnit.NANOSECONDS.toMillis(longestNanos.get()), Set.copyOf(acknowledged), Map.copyOf(failures));
    }

    private static void awaitFullIsr(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            boolean full = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .allMatch(p -> p.isr().size() == 3);
            if (full) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the restarted broker did not rejoin every ISR of " + topic);
    }

    private static void log(String line) {
        System.out.println(Instant.now() + " " + line);
    }

    private interface Write {
        boolean write(String key) throws Exception;
    }

    private record Outcome(KafkaBrokerProcess killed, long longestMs, Set<String> acknowledged, Map<String, String> failures) {
        Set<String> errors() {
            return failures.keySet();
        }

        @Override
        public String toString() {
            return acknowledged.size() + " acknowledged, " + failures.size() + " failed, longest write " + longestMs + " ms";
        }
    }
}
