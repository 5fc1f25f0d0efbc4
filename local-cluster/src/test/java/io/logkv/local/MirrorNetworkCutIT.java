package io.logkv.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.MirrorHeaders;
import io.logkv.core.MirrorPosition;
import io.logkv.core.RegionName;
import io.logkv.mirror.Mirror;
import io.logkv.mirror.MirrorSettings;
import io.logkv.mirror.NamespaceSelection;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.testkit.faults.NetworkLink;
import io.logkv.writer.TruthTopicRequirements;
import io.logkv.writer.TruthTopics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network between the regions is cut while the mirror copies under writes: the home region's brokers
 * run as processes and the mirror reaches them only through TCP proxies, which blackhole every connection
 * for longer than the mirror's Kafka timeouts. The mirror waits and retries, resumes after the heal, and the
 * target region holds every committed record of the home region exactly once, in order, in its partition,
 * and none of an aborted transaction.
 */
@Tag("integration")
class MirrorNetworkCutIT {

    private static final String TOPIC = "logkv.truth.cut-between-regions";
    private static final int PARTITIONS = 3;
    private static final Duration CUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void theMirrorWaitsOutACutBetweenTheRegionsAndLosesNothing() throws Exception {
        KafkaTestCluster target = KafkaTestCluster.sharedRegion("cut-b");
        try (ProcessCluster source = ProcessCluster.start(dir, true);
             Admin sourceAdmin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, source.bootstrapServers()))) {
            new TruthTopics(sourceAdmin, new TruthTopicRequirements(3, 2, 1024 * 1024), Duration.ofSeconds(30)).ensure(TOPIC, PARTITIONS);
            NetworkLink link = source.brokerLink();
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong committed = new AtomicLong();
            AtomicLong aborted = new AtomicLong();
            Thread writer = new Thread(() -> write(source.bootstrapServers(), writing, committed, aborted), "home-writes");
            writer.start();

            MirrorSettings settings = MirrorSettings.of(new RegionName("cut-a"), new RegionName("cut-b"), link.hostPorts(),
                    target.bootstrapServers(), NamespaceSelection.of(List.of("cut-between-regions"))).withRescan(Duration.ofSeconds(1));
            try (Mirror mirror = new Mirror(settings, new SimpleMeterRegistry())) {
                mirror.start();
                awaitRecords(target.bootstrapServers(), 200, Duration.ofSeconds(60));
                ProcessCluster.log("cutting the regions apart after " + committed.get() + " committed records");
                link.blackhole();
                Thread.sleep(CUT.toMillis() / 4);
                // Cut off, the mirror no longer says its copy is current: the positions it keeps writing into the target
                // keep the time it last knew it had read to the end, so the copy's lag (and a promotion's loss) grows.
                long now = System.currentTimeMillis();
                Map<Integer, MirrorPosition> positions = positions(target.bootstrapServers());
                assertThat(positions).hasSize(PARTITIONS);
                positions.values().forEach(position -> assertThat(now - position.caughtUpAtMs())
                        .as("age of partition %d's caught-up time, %d ms into the cut", position.partition(), CUT.toMillis() / 4)
                        .isGreaterThanOrEqualTo(CUT.toMillis() / 4 - 2_500)); // it stops within 2 s; before, it never did
                Thread.sleep(CUT.toMillis() - CUT.toMillis() / 4);
                long duringCut = committed.get();
                link.heal();
                ProcessCluster.log("healed; " + link.swallowedBytes() + " bytes swallowed; " + duringCut + " committed so far");
                Thread.sleep(5_000);
                writing.set(false);
                writer.join();
                assertThat(committed.get()).as("the home region kept taking writes during the cut").isGreaterThan(duringCut - 1);
                List<ConsumerRecord<byte[], byte[]>> home = readAll(source.bootstrapServers());
                assertThat(home).hasSize((int) committed.get());
                awaitRecords(target.bootstrapServers(), home.size(), Duration.ofSeconds(120));
                assertThat(mirror.states()).containsEntry(TOPIC, "MIRRORING");
            }
            List<ConsumerRecord<byte[], byte[]>> home = readAll(source.bootstrapServers());
            List<ConsumerRecord<byte[], byte[]>> copy = readAll(target.bootstrapServers());
            assertThat(copy).as("every committed record once, none of %d aborted", aborted.get()).hasSize(home.size());
            Map<Integer, List<String>> homeByPartition = byPartition(home, false);
            Map<Integer, List<String>> copyByPartition = byPartition(copy, true);
            assertThat(copyByPartition).as("in order, in the same partition, with the home offsets").isEqualTo(homeByPartition);
        }
    }

    /** The newest position the mirror wrote into the target for each partition of the topic. */
    private static Map<Integer, MirrorPosition> positions(String target) {
        Map<Integer, MirrorPosition> newest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : KafkaTestCluster.readCommitted(target, List.of(new TopicPartition(MirrorPosition.TOPIC, 0)))) {
            try {
                MirrorPosition position = MirrorPosition.parse(record.key(), record.value());
                if (position.topic().equals(TOPIC)) {
                    newest.put(position.partition(), position);
                }
            } catch (IllegalArgumentException notAPosition) {
                // a home lease, kept in the same topic
            }
        }
        return newest;
    }

    /** Transactions of 20 records, one in ten aborted, until told to stop; through the plain listener (not cut). */
    private static void write(String bootstrap, AtomicBoolean writing, AtomicLong committed, AtomicLong aborted) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "home-writes-" + TOPIC);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (long n = 0; writing.get(); n++) {
                boolean abort = n % 10 == 9;
                producer.beginTransaction();
                for (int i = 0; i < 20; i++) {
                    String key = "key-" + (n * 20 + i) % 101;
                    producer.send(new ProducerRecord<>(TOPIC, key.getBytes(StandardCharsets.UTF_8),
                            ("value-" + n + "-" + i + (abort ? "-aborted" : "")).getBytes(StandardCharsets.UTF_8)));
                }
                if (abort) {
                    producer.abortTransaction();
                    aborted.addAndGet(20);
                } else {
                    producer.commitTransaction();
                    committed.addAndGet(20);
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitRecords(String bootstrap, long records, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        long seen = 0;
        while (System.nanoTime() < deadline) {
            seen = readAll(bootstrap).size();
            if (seen >= records) {
                return;
            }
            Thread.sleep(1_000);
        }
        throw new AssertionError("the target region holds " + seen + " records after " + within.toSeconds() + " s, not " + records);
    }

    /** Every committed record of the topic, read to the end. */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(TOPIC, p));
        }
        return KafkaTestCluster.readCommitted(bootstrap, partitions);
    }

    /** Per partition, each record as key, value and home offset (from the mirror's header in the copy). */
    private static Map<Integer, List<String>> byPartition(List<ConsumerRecord<byte[], byte[]>> records, boolean copy) {
        Map<Integer, List<String>> result = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            long homeOffset = record.offset();
            if (copy) {
                Header header = record.headers().lastHeader(MirrorHeaders.SOURCE_OFFSET);
                homeOffset = header == null ? -1 : ByteBuffer.wrap(header.value()).getLong();
            }
            result.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(new String(record.key(), StandardCharsets.UTF_8)
                    + "=" + new String(record.value(), StandardCharsets.UTF_8) + "@" + homeOffset);
        }
        return result;
    }
}
