package io.logkv.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.client.IngestKeySerializer;
import io.logkv.client.IngestTokens;
import io.logkv.client.IngestWrite;
import io.logkv.client.IngestWriteSerializer;
import io.logkv.client.LogKvTopics;
import io.logkv.core.IngestHeaders;
import io.logkv.core.NamespaceName;
import io.logkv.testkit.KafkaTestCluster;
import io.logkv.writer.PartitionOwner;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Streaming applications write through the ingest topic: applied in order, exactly once, across fail-over. */
@Tag("integration")
class IngestIT {

    private final NamespaceName NS = new NamespaceName("ingest-" + Long.toString(System.nanoTime(), 36));

    @TempDir
    Path dataDir;

    @Test
    void producedWritesAreAppliedInOrderExactlyOnceAcrossAnOwnerFailOver() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        try (LogKvNode a = LogKvNode.start("ingest-a", kafka, dataDir.resolve("a"), "--logkv.writer.session-timeout=1s");
             LogKvNode b = LogKvNode.start("ingest-b", kafka, dataDir.resolve("b"), "--logkv.writer.session-timeout=1s");
             KafkaProducer<String, IngestWrite> producer = producer(kafka)) {
            assertThat(a.putNamespace(NS.value(), "{\"partitions\":2}").statusCode()).isIn(200, 201);
            Map<String, String> expected = new HashMap<>();
            String last = produce(producer, expected, 0, 300);

            HttpResponse<String> read = a.get(NS.value(), "k-7", "KV-Token", last);
            assertThat(read.statusCode()).as(read.body()).isIn(200, 404);

            TopicPartition p0 = new TopicPartition(NS.truthTopic(), 0);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    a.bean(PartitionOwner.class).owned().contains(p0) || b.bean(PartitionOwner.class).owned().contains(p0));
            LogKvNode owner = a.bean(PartitionOwner.class).owned().contains(p0) ? a : b;
            LogKvNode survivor = owner == a ? b : a;
            String midway = produce(producer, expected, 300, 450);
            owner.stop();
            last = produce(producer, expected, 450, 600);

            for (String token : List.of(midway, last)) {
                for (Map.Entry<String, String> entry : expected.entrySet()) {
                    HttpResponse<String> value = survivor.get(NS.value(), entry.getKey(), "KV-Token", token, "Accept", "*/*");
                    if (token == last) {
                        assertThat(value.statusCode()).as(value.body()).isEqualTo(200);
                        assertThat(value.body()).as(entry.getKey()).isEqualTo(entry.getValue());
                    }
                }
            }
            assertThat(truthDataRecords(kafka)).as("one truth record per ingest write: none lost, none duplicated").isEqualTo(600);
        }
    }

    @Test
    void aMalformedIngestRecordIsDeadLetteredAndTheRestStillApplies() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        NamespaceName ns = new NamespaceName("ingest-bad-" + Long.toString(System.nanoTime(), 36));
        try (LogKvNode node = LogKvNode.start("ingest-c", kafka, dataDir.resolve("c"));
             KafkaProducer<byte[], byte[]> raw = rawProducer(kafka);
             KafkaProducer<String, IngestWrite> producer = producer(kafka)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            raw.send(new ProducerRecord<>(ns.ingestTopic(), 0, "bad".getBytes(StandardCharsets.UTF_8),
                    "not an envelope".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "exists", IngestWrite.put("1".getBytes()))).get(30, TimeUnit.SECONDS);
            RecordMetadata conditional = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "exists",
                    IngestWrite.put("2".getBytes()).ifAbsent())).get(30, TimeUnit.SECONDS);
            RecordMetadata good = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "after",
                    IngestWrite.put("fine".getBytes()).contentType("text/plain").ttl(Duration.ofHours(1)))).get(30, TimeUnit.SECONDS);

            // The namespace is a moment old: the writers' group is still handing its partition to the owner.
            HttpResponse<String> read = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.keyUrl(ns.value(), "after")
                    + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(good)).GET());
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body()).isEqualTo("fine");
            assertThat(read.headers().firstValue("KV-Expires-At")).isPresent();
            assertThat(node.get(ns.value(), "exists", "KV-Token", IngestTokens.tokenFor(conditional)).body()).isEqualTo("1");

            List<String> reasons = deadLetterReasons(kafka, LogKvTopics.deadLetters(ns.value()), 2);
            assertThat(reasons).hasSize(2);
            assertThat(reasons.get(0)).startsWith("malformed");
            assertThat(reasons.get(1)).startsWith("precondition failed");
        }
    }

    /**
     * Produces writes {@code from} to {@code to}; returns a token covering all of them: the tokens of the last
     * record sent to each partition, merged (a single record's token says nothing of the other partitions).
     */
    private String produce(KafkaProducer<String, IngestWrite> producer, Map<String, String> expected,
                           int from, int to) throws Exception {
        List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String key = "k-" + (i % 40);
            String value = "v" + i;
            expected.put(key, value);
            sent.add(producer.send(new ProducerRecord<>(NS.ingestTopic(), key, IngestWrite.put(value.getBytes()).contentType("text/plain"))));
        }
        Map<Integer, RecordMetadata> lastPerPartition = new HashMap<>();
        for (java.util.concurrent.Future<RecordMetadata> future : sent) {
            RecordMetadata metadata = future.get(30, TimeUnit.SECONDS);
            lastPerPartition.put(metadata.partition(), metadata);
        }
        return String.join(", ", lastPerPartition.values().stream().map(IngestTokens::tokenFor).toList());
    }

    private static KafkaProducer<String, IngestWrite> producer(String kafka) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(props, new IngestKeySerializer(), new IngestWriteSerializer());
    }

    private static KafkaProducer<byte[], byte[]> rawProducer(String kafka) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private long truthDataRecords(String kafka) {
        return read(kafka, List.of(new TopicPartition(NS.truthTopic(), 0), new TopicPartition(NS.truthTopic(), 1)))
                .stream().filter(r -> !IngestHeaders.isProgressMarker(r.key())).count();
    }

    private static List<String> deadLetterReasons(String kafka, String topic, int expected) {
        List<String> reasons = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            reasons.clear();
            for (ConsumerRecord<byte[], byte[]> record : read(kafka, List.of(new TopicPartition(topic, 0)))) {
                reasons.add(new String(record.headers().lastHeader(IngestHeaders.DEAD_LETTER_REASON).value(), StandardCharsets.UTF_8));
            }
            return reasons.size() >= expected;
        });
        return reasons;
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(String kafka, List<TopicPartition> partitions) {
        return KafkaTestCluster.shared().readCommitted(partitions);
    }
}
