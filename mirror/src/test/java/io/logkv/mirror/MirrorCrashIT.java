package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.KafkaTestCluster;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The mirror as a process of its own, killed with SIGKILL again and again while the home region takes writes. */
@Tag("integration")
class MirrorCrashIT {

    private static final Logger log = LoggerFactory.getLogger(MirrorCrashIT.class);
    private static final String TOPIC = "logkv.truth.crashes";
    /** A second namespace in the same process: its transactions share the positions topic with the first's. */
    private static final String OTHER_TOPIC = "logkv.truth.crashes-too";
    private static final int PARTITIONS = 3;
    private static final int METRICS_PORT = freePort();

    private final KafkaTestCluster regionA = KafkaTestCluster.sharedRegion("a");
    private final KafkaTestCluster regionB = KafkaTestCluster.sharedRegion("b");

    @Test
    void mirrorKilledAndRestartedUnderWritesCopiesEachCommittedRecordOnceInOrder() throws Exception {
        Random random = new Random(12);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        MirrorProcess mirror = new MirrorProcess(List.of(
                "--source-region", "a", "--target-region", "b",
                "--source-bootstrap-servers", regionA.bootstrapServers(),
                "--target-bootstrap-servers", regionB.bootstrapServers(),
                "--namespaces", "crashes,crashes-too", "--rescan-interval-ms", "500", "--max-poll-records", "40",
                "--max-transaction-records", "120",
                "--transaction-timeout-ms", "60000", "--commit-delay-ms", "150", "--metrics-port", String.valueOf(METRICS_PORT)),
                Path.of("target", "mirror-crash-it", "mirror.log"));
        try (SourceWrites writes = new SourceWrites(regionA, TOPIC, PARTITIONS);
             SourceWrites otherWrites = new SourceWrites(regionA, OTHER_TOPIC, 2)) {
            Thread writer = new Thread(() -> {
                try {
                    while (writing.get()) {
                        writes.transaction(20, random.nextInt(5) == 0);
                        otherWrites.transaction(5, random.nextInt(5) == 0);
                        Thread.sleep(5);
                    }
                } catch (Throwable e) {
                    writerFailure.set(e);
                }
            }, "source-writer");
            writer.start();

            for (int kill = 0; kill < 4; kill++) {
                mirror.start();
                // Killed only once this run has fenced, resumed and committed records of its own.
                mirror.awaitLogLines("event=mirror_resumed topic=" + TOPIC + " ", kill + 1, Duration.ofSeconds(60));
                long atResume = recordsInLog(regionB, "read_committed");
                long mirrored = awaitMirroredBeyond(atResume, Duration.ofSeconds(60), mirror);
                Thread.sleep(300 + random.nextInt(700));
                mirror.kill();
                log.info("event=mirror_killed kill={} mirrored_at_resume={} mirrored_before_kill={} committed_in_source={}",
                        kill, atResume, mirrored, writes.committed());
                assertThat(mirrored).as("records mirrored by run %d before its kill", kill).isGreaterThan(atResume);
            }
            writing.set(false);
            writer.join(30_000);
            assertThat(writerFailure.get()).isNull();
            assertThat(writes.aborted()).isPositive();

            mirror.start();
            MirroredExactlyOnce.assertMirrored(regionA, regionB, TOPIC, PARTITIONS, "a", Duration.ofSeconds(90));
            MirroredExactlyOnce.assertMirrored(regionA, regionB, OTHER_TOPIC, 2, "a", Duration.ofSeconds(30));
            String caughtUp = "logkv_mirror_lag_records{partition=\"0\",source=\"a\",target=\"b\",topic=\"" + TOPIC + "\"} 0.0";
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            String metrics = scrapeMetrics();
            while (!metrics.contains(caughtUp) && System.nanoTime() < deadline) {
                Thread.sleep(200);
                metrics = scrapeMetrics();
            }
            assertThat(metrics).contains(caughtUp)
                    .contains("logkv_mirror_records_total{source=\"a\",target=\"b\",topic=\"" + TOPIC + "\"}");
            // Stopped, not killed: a stopped mirror aborts its open transaction, where a killed one's would hold the
            // target's read_committed readers (the next tests' too) back for its 60 s timeout.
            mirror.stop();
            TargetLog.assertNoOpenTransaction(regionB, List.of(TOPIC, OTHER_TOPIC, io.logkv.core.MirrorPosition.TOPIC));
        } finally {
            writing.set(false);
            if (mirror.isAlive()) {
                mirror.kill();
            }
        }
        // The kills cut transactions whose records were already in the target's log: they were aborted, not repeated.
        long inLog = recordsInLog(regionB, "read_uncommitted");
        long committed = recordsInLog(regionB, "read_committed");
        log.info("event=mirror_crash_result committed_in_target={} in_target_log={}", committed, inLog);
        assertThat(inLog).isGreaterThan(committed);
    }

    private static String scrapeMetrics() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + METRICS_PORT + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the target holds more committed records than {@code before}; returns how many it holds. */
    private long awaitMirroredBeyond(long before, Duration timeout, MirrorProcess mirror) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long now = recordsInLog(regionB, "read_committed");
            if (now > before) {
                return now;
            }
            assertThat(mirror.isAlive()).as("the mirror process is running (log: %s)", mirror.log().toAbsolutePath()).isTrue();
            Thread.sleep(100);
        }
        return before;
    }

    private static long recordsInLog(KafkaTestCluster cluster, String isolation) {
        List<TopicPartition> partitions = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(TOPIC, p)).toList();
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        long records = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                records += consumer.poll(Duration.ofMillis(200)).count();
            }
        } catch (org.apache.kafka.common.errors.UnknownTopicOrPartitionException e) {
            return 0;
        }
        return records;
    }
}
