package io.logkv.query;

import io.logkv.client.IngestKeySerializer;
import io.logkv.client.IngestTokens;
import io.logkv.client.IngestWrite;
import io.logkv.client.IngestWriteSerializer;
import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streaming-app writes keep flowing while the leader broker of a truth partition is lost: transactions
 * abort, their ingest records are read again from the committed offset, and every ingest record is still
 * applied exactly once (one truth record per ingest record, none lost, none twice).
 */
@Tag("integration")
class IngestThroughBrokerLossIT {

    private static final NamespaceName NS = new NamespaceName("ingest-loss");
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 4_000;

    @TempDir
    Path dataDir;

    @Test
    void everyIngestRecordIsAppliedExactlyOnceAcrossTheLossOfALeaderBroker() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3);
             LogKvNode node = LogKvNode.start("ingest-loss", cluster.bootstrapServers(), dataDir);
             KafkaProducer<String, IngestWrite> producer = producer(cluster.bootstrapServers())) {
            assertThat(node.putNamespace(NS.value(), "{\"partitions\":" + PARTITIONS + "}").statusCode()).isEqualTo(201);
            Map<Integer, Sent> lastOfPartition = new ConcurrentHashMap<>();
            int leader = -1;
            for (int i = 0; i < RECORDS; i++) {
                String key = "k-" + i;
                producer.send(new ProducerRecord<>(NS.ingestTopic(), key, IngestWrite.put(("v" + i).getBytes(StandardCharsets.UTF_8))),
                        (metadata, error) -> remember(lastOfPartition, key, metadata, error));
                if (i == RECORDS / 4) {
                    producer.flush();
                    leader = cluster.leaderOf(NS.truthTopic(), 0);
                    cluster.stopBroker(leader);
                }
                if (i % 100 == 0) {
                    Thread.sleep(20); // a steady stream, so transactions are in flight when the broker goes
                }
            }
            producer.flush();
            assertThat(lastOfPartition).hasSize(PARTITIONS);

            awaitApplied(node, NS, lastOfPartition);
            Map<String, Integer> copies = new HashMap<>();
            List<TopicPartition> truth = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(NS.truthTopic(), p)).toList();
            for (ConsumerRecord<byte[], byte[]> record : cluster.readCommitted(truth)) {
                if (record.key() != null && record.key().length > 0 && record.value() != null) { // not a progress marker
                    copies.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
            System.out.printf("broker %d stopped under ingest; %d keys in the truth topic%n", leader, copies.size());
            assertThat(copies).as("every ingest record applied").hasSize(RECORDS);
            assertThat(copies.values()).as("no ingest record applied twice").containsOnly(1);
        }
    }

    @Test
    void abortedTransactionsNeitherLoseNorRepeatIngestRecordsOrAcknowledgedWrites() throws Exception {
        NamespaceName ns = new NamespaceName("ingest-aborts-" + Long.toString(System.nanoTime(), 36));
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode node = LogKvNode.start("ingest-aborts", kafka, dataDir);
             KafkaProducer<String, IngestWrite> producer = producer(kafka)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":" + PARTITIONS + "}").statusCode()).isIn(200, 201);
            io.logkv.writer.PartitionOwner owner = node.bean(io.logkv.writer.PartitionOwner.class);
            List<TopicPartition> truth = IntStream.range(0, PARTITIONS).mapToObj(p -> new TopicPartition(ns.truthTopic(), p)).toList();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> owner.owned().containsAll(truth));
            Map<Integer, Sent> lastOfPartition = new ConcurrentHashMap<>();
            Map<String, String> acknowledgedHttp = new HashMap<>();
            for (int i = 0; i < 2_000; i++) {
                String key = "k-" + i;
                producer.send(new ProducerRecord<>(ns.ingestTopic(), key, IngestWrite.put(("v" + i).getBytes(StandardCharsets.UTF_8))),
                        (metadata, error) -> remember(lastOfPartition, key, metadata, error));
                if (i % 200 == 0) {
                    producer.flush();
                    owner.abortNextTransactions(3);
                    HttpResponse<String> put = node.put(ns.value(), "http-" + i, "h" + i);
                    assertThat(put.statusCode()).as("an HTTP write whose transaction aborted is retried: " + put.body()).isEqualTo(200);
                    acknowledgedHttp.put("http-" + i, "h" + i);
                }
            }
            producer.flush();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> owner.injectedAbortsLeft() == 0);
            awaitApplied(node, ns, lastOfPartition);
            Map<String, Integer> copies = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : KafkaTestCluster.shared().readCommitted(truth)) {
                if (record.key() != null && record.key().length > 0 && record.value() != null) {
                    copies.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
            Map<Integer, List<Integer>> missing = new java.util.TreeMap<>();
            for (int i = 0; i < 2_000; i++) {
                if (!copies.containsKey("k-" + i)) {
                    int p = io.logkv.core.KeyPartitioner.partitionOf(("k-" + i).getBytes(StandardCharsets.UTF_8), PARTITIONS);
                    missing.computeIfAbsent(p, x -> new java.util.ArrayList<>()).add(i);
                }
            }
            if (!missing.isEmpty()) {
                Map<String, Integer> reasons = new HashMap<>();
                String dlq = io.logkv.client.LogKvTopics.deadLetters(ns.value());
                int dlqPartitions = KafkaTestCluster.shared().admin().describeTopics(List.of(dlq)).allTopicNames().get().get(dlq).partitions().size();
                for (ConsumerRecord<byte[], byte[]> record : KafkaTestCluster.shared().readCommitted(
                        IntStream.range(0, dlqPartitions).mapToObj(p -> new TopicPartition(dlq, p)).toList())) {
                    reasons.merge(new String(record.headers().lastHeader(io.logkv.core.IngestHeaders.DEAD_LETTER_REASON).value(),
                            StandardCharsets.UTF_8), 1, Integer::sum);
                }
                System.out.println("dead letters: " + reasons);
            }
            assertThat(missing).as("ingest records missing, by partition").isEmpty();
            assertThat(copies).as("every ingest record and acknowledged write applied").hasSize(2_000 + acknowledgedHttp.size());
            assertThat(copies.values()).as("none applied twice").containsOnly(1);
        }
    }

    /** The last record sent to a partition, and its key. */
    private record Sent(RecordMetadata metadata, String key) {
    }

    private static void remember(Map<Integer, Sent> last, String key, RecordMetadata metadata, Exception error) {
        if (error == null) {
            last.merge(metadata.partition(), new Sent(metadata, key), (a, b) -> a.metadata().offset() >= b.metadata().offset() ? a : b);
        }
    }

    /**
     * Reads the last record of every partition with that record's token: a token covers its own partition
     * only, so the read must be of a key in that partition to wait for it.
     */
    private static void awaitApplied(LogKvNode node, NamespaceName ns, Map<Integer, Sent> lastOfPartition) {
        for (Sent last : lastOfPartition.values()) {
            HttpResponse<String> applied = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), last.key())
                    + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(last.metadata())).GET());
            assertThat(applied.statusCode()).as("partition %d applied: %s", last.metadata().partition(), applied.body()).isEqualTo(200);
        }
    }

    private static KafkaProducer<String, IngestWrite> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        return new KafkaProducer<>(props, new IngestKeySerializer(), new IngestWriteSerializer());
    }
}
