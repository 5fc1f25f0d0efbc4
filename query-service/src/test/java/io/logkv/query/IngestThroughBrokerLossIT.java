package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

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
            Map<Integer, RecordMetadata> lastOfPartition = new ConcurrentHashMap<>();
            int leader = -1;
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(NS.ingestTopic(), "k-" + i, IngestWrite.put(("v" + i).getBytes(StandardCharsets.UTF_8))),
                        (metadata, error) -> {
                            if (error == null) {
                                lastOfPartition.merge(metadata.partition(), metadata, (a, b) -> a.offset() >= b.offset() ? a : b);
                            }
                        });
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

            for (RecordMetadata last : lastOfPartition.values()) {
                HttpResponse<String> applied = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(NS.value(), "k-0")
                        + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(last)).GET());
                assertThat(applied.statusCode()).as("partition %d applied: %s", last.partition(), applied.body()).isEqualTo(200);
            }
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
            Map<Integer, RecordMetadata> lastOfPartition = new ConcurrentHashMap<>();
            Map<String, String> acknowledgedHttp = new HashMap<>();
            for (int i = 0; i < 2_000; i++) {
                producer.send(new ProducerRecord<>(ns.ingestTopic(), "k-" + i, IngestWrite.put(("v" + i).getBytes(StandardCharsets.UTF_8))),
                        (metadata, error) -> {
                            if (error == null) {
                                lastOfPartition.merge(metadata.partition(), metadata, (a, b) -> a.offset() >= b.offset() ? a : b);
                            }
                        });
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
            for (RecordMetadata last : lastOfPartition.values()) {
                HttpResponse<String> applied = node.send(HttpRequest.newBuilder(URI.create(node.keyUrl(ns.value(), "k-0")
                        + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(last)).GET());
                assertThat(applied.statusCode()).as("partition %d applied: %s", last.partition(), applied.body()).isEqualTo(200);
            }
            Map<String, Integer> copies = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : KafkaTestCluster.shared().readCommitted(truth)) {
                if (record.key() != null && record.key().length > 0 && record.value() != null) {
                    copies.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
            assertThat(copies).as("every ingest record and acknowledged write applied").hasSize(2_000 + acknowledgedHttp.size());
            assertThat(copies.values()).as("none applied twice").containsOnly(1);
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
