package io.logkv.query;

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
import java.time.Instant;
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

import static org.assertj.core.api.Assertions.assertThat;

/** Streaming applications write through the ingest topic: applied in order, exactly once, across fail-over. */
@Tag("integration")
class IngestIT {

    private final NamespaceName NS = new NamespaceName("ingest-" + Long.toString(System.nanoTime(), 36));
    /** {@link #produce} writes keys {@code k-0} to {@code k-39}, write i to key {@code k-(i % 40)} with value {@code v<i>}. */
    private static final int KEYS = 40;

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

            // The token covers every write produced so far, k-7's last one included: the read must see it.
            // (The namespace is a moment old, so the read may wait for the writers' group to place its partitions.)
            HttpResponse<String> read = a.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    a.keyUrl(NS.value(), "k-7") + "?wait_ms=10000")).header("KV-Token", last).GET());
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body()).isEqualTo(expected.get("k-7"));

            TopicPartition p0 = new TopicPartition(NS.truthTopic(), 0);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                    a.bean(PartitionOwner.class).owned().contains(p0) || b.bean(PartitionOwner.class).owned().contains(p0));
            LogKvNode owner = a.bean(PartitionOwner.class).owned().contains(p0) ? a : b;
            LogKvNode survivor = owner == a ? b : a;
            String midway = produce(producer, expected, 300, 450);
            Map<String, String> atMidway = Map.copyOf(expected);
            owner.stop();
            last = produce(producer, expected, 450, 600);

            // Under the midway token a key may read as its midway value or any later one (those writes may be
            // applied already), never an older one; under the last token, exactly as its last value.
            for (Map.Entry<String, String> entry : atMidway.entrySet()) {
                HttpResponse<String> value = survivor.get(NS.value(), entry.getKey(), "KV-Token", midway, "Accept", "*/*");
                assertThat(value.statusCode()).as("%s under the midway token: %s", entry.getKey(), value.body()).isEqualTo(200);
                assertThat(writeIndex(value.body())).as("%s under the midway token read %s; the token covers %s",
                                entry.getKey(), value.body(), entry.getValue())
                        .isBetween(writeIndex(entry.getValue()), writeIndex(expected.get(entry.getKey())));
                assertThat(writeIndex(value.body()) % KEYS).as("%s read %s, a value of another key", entry.getKey(), value.body())
                        .isEqualTo(Integer.parseInt(entry.getKey().substring(2)));
            }
            for (Map.Entry<String, String> entry : expected.entrySet()) {
                HttpResponse<String> value = survivor.get(NS.value(), entry.getKey(), "KV-Token", last, "Accept", "*/*");
                assertThat(value.statusCode()).as(value.body()).isEqualTo(200);
                assertThat(value.body()).as(entry.getKey()).isEqualTo(entry.getValue());
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
     * An ingest record as large as the ingest topic takes (its value past what LogKV accepts) is dead-lettered
     * without its value: copied whole with the dead letter's headers it would pass the size of the records the writer
     * may produce, the transaction carrying it would fail every time, and the records after it would never apply.
     */
    @Test
    void anIngestRecordAsLargeAsItsTopicTakesIsDeadLetteredWithoutItsValueAndTheRecordsAfterItApply() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        NamespaceName ns = new NamespaceName("ingest-large-" + Long.toString(System.nanoTime(), 36));
        try (LogKvNode node = LogKvNode.start("ingest-l", kafka, dataDir.resolve("l"), "--logkv.limits.max-value-bytes=64KB");
             KafkaProducer<byte[], byte[]> raw = rawProducer(kafka);
             KafkaProducer<String, IngestWrite> producer = producer(kafka)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            // The ingest topic takes records of the largest value and 64 KiB (131,072 bytes here): the largest the
            // broker accepts, found by asking, so that a few bytes more would not fit.
            java.util.Random random = new java.util.Random(7);
            int size = 131_072;
            while (true) {
                byte[] value = new byte[size];
                random.nextBytes(value);
                try {
                    raw.send(new ProducerRecord<>(ns.ingestTopic(), 0, "big".getBytes(StandardCharsets.UTF_8), value)).get(30, TimeUnit.SECONDS);
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
                    size -= 8;
                }
            }
            assertThat(size).as("a value past LogKV's limit").isGreaterThan(64 * 1024);
            RecordMetadata after = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "after", IngestWrite.put("applied".getBytes())))
                    .get(30, TimeUnit.SECONDS);

            HttpResponse<String> read = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.keyUrl(ns.value(), "after")
                    + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(after)).GET());
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.body()).isEqualTo("applied");
            List<ConsumerRecord<byte[], byte[]>> letters = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                letters.clear();
                letters.addAll(read(kafka, List.of(new TopicPartition(LogKvTopics.deadLetters(ns.value()), 0))));
                return !letters.isEmpty();
            });
            ConsumerRecord<byte[], byte[]> letter = letters.get(0);
            assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo("big");
            assertThat(letter.value()).as("left out").isNull();
            assertThat(new String(letter.headers().lastHeader(IngestHeaders.DEAD_LETTER_OMITTED).value(), StandardCharsets.UTF_8))
                    .contains(size + " bytes");
            assertThat(new String(letter.headers().lastHeader(IngestHeaders.DEAD_LETTER_SOURCE).value(), StandardCharsets.UTF_8))
                    .isEqualTo(ns.ingestTopic() + "-0@0");
        }
    }

    /**
     * A produced write with a time to live expires like an HTTP one: it reads as its value until the expiry it
     * reports (counted from when its partition's writer applied it) and as 404 from then on, while a write
     * produced beside it without a time to live stays.
     */
    @Test
    void aProducedWriteWithATimeToLiveReadsAsNotFoundOnceItExpiresAndOneWithoutStays() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        NamespaceName ns = new NamespaceName("ingest-ttl-" + Long.toString(System.nanoTime(), 36));
        try (LogKvNode node = LogKvNode.start("ingest-ttl", kafka, dataDir.resolve("ttl"));
             KafkaProducer<String, IngestWrite> producer = producer(kafka)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            Instant before = Instant.now();
            producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "lasting",
                    IngestWrite.put("stays".getBytes()).contentType("text/plain"))).get(30, TimeUnit.SECONDS);
            RecordMetadata brief = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "brief",
                    IngestWrite.put("gone soon".getBytes()).contentType("text/plain").ttl(Duration.ofSeconds(2)))).get(30, TimeUnit.SECONDS);
            String token = IngestTokens.tokenFor(brief);

            ExpiringKey expiring = new ExpiringKey(node, ns.value(), "brief", token);
            // The writer sets the expiry when it applies the record: after it was produced, before it is read.
            Instant expiresAt = expiring.assertLiveWithExpiry("gone soon", before, Duration.ofSeconds(2));
            expiring.assertExpiresAt(expiresAt, "gone soon", Duration.ofSeconds(10));

            HttpResponse<String> stays = node.get(ns.value(), "lasting", "KV-Token", token);
            assertThat(stays.statusCode()).as("a write produced without a time to live, after the other expired: %s", stays.body())
                    .isEqualTo(200);
            assertThat(stays.body()).isEqualTo("stays");
            assertThat(stays.headers().firstValue("KV-Expires-At")).isEmpty();
        }
    }

    /**
     * The writers' group can lose its committed ingest offsets (they expire after {@code offsets.retention.minutes}
     * while every node is stopped, or the group id changes). A new owner then resumes where the truth partition's
     * progress markers say ingest was applied, never at the ingest topic's start: applying the retained records
     * again would put old values over newer writes and duplicate every record in the log.
     */
    @Test
    void aWriterWhoseGroupLostItsOffsetsResumesWhereTheTruthLogSaysIngestStopped() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        NamespaceName ns = new NamespaceName("ingest-resume-" + Long.toString(System.nanoTime(), 36));
        String group = "writers-" + ns.value();
        TopicPartition ingest = new TopicPartition(ns.ingestTopic(), 0);
        try (LogKvNode node = LogKvNode.start("ingest-resume", kafka, dataDir.resolve("resume"), "--logkv.writer.group-id=" + group);
             KafkaProducer<String, IngestWrite> producer = producer(kafka);
             org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                     Map.<String, Object>of("bootstrap.servers", kafka))) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            RecordMetadata last = null;
            for (int i = 0; i < 50; i++) {
                last = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "k-" + (i % 10),
                        IngestWrite.put(("v" + i).getBytes()).contentType("text/plain"))).get(30, TimeUnit.SECONDS);
            }
            HttpResponse<String> applied = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    node.keyUrl(ns.value(), "k-9") + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(last)).GET());
            assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
            assertThat(applied.body()).isEqualTo("v49");
            HttpResponse<String> newer = node.put(ns.value(), "k-3", "newer");
            assertThat(newer.statusCode()).as(newer.body()).isEqualTo(200);

            node.stop();
            admin.deleteConsumerGroupOffsets(group, java.util.Set.of(ingest)).all().get(30, TimeUnit.SECONDS);
            assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(ingest))
                    .as("the group's offset is gone").isNull();
            node.start();

            RecordMetadata after = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "after",
                    IngestWrite.put("after".getBytes()).contentType("text/plain"))).get(30, TimeUnit.SECONDS);
            // The restarted node takes its partition over again first; until then the read times out with 503.
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> resumed = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        node.keyUrl(ns.value(), "after") + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(after)).GET());
                assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
            });
            HttpResponse<String> kept = node.get(ns.value(), "k-3", "KV-Token", IngestTokens.tokenFor(after));
            assertThat(kept.body()).as("the write made after the ingest records, not an ingest record applied again").isEqualTo("newer");
            long records = read(kafka, List.of(new TopicPartition(ns.truthTopic(), 0))).stream()
                    .filter(r -> !IngestHeaders.isProgressMarker(r.key())).count();
            assertThat(records).as("50 ingest writes, one PUT and one ingest write after the restart, each once").isEqualTo(52);
        }
    }

    /**
     * A strong read is at least a session read: under a token naming an ingest record, it waits until the owner
     * has applied that record (or answers 503), never answering the value from before it.
     */
    @Test
    void aStrongReadUnderAnIngestTokenWaitsForTheIngestedWrite() throws Exception {
        String kafka = KafkaTestCluster.shared().bootstrapServers();
        NamespaceName ns = new NamespaceName("ingest-strong-" + Long.toString(System.nanoTime(), 36));
        try (LogKvNode node = LogKvNode.start("ingest-strong", kafka, dataDir.resolve("strong"));
             KafkaProducer<String, IngestWrite> producer = producer(kafka)) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":1}").statusCode()).isIn(200, 201);
            RecordMetadata first = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "k",
                    IngestWrite.put("1".getBytes()).contentType("text/plain"))).get(30, TimeUnit.SECONDS);
            Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> applied = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        node.keyUrl(ns.value(), "k") + "?wait_ms=10000")).header("KV-Token", IngestTokens.tokenFor(first)).GET());
                assertThat(applied.body()).isEqualTo("1");
            });

            PartitionOwner owner = node.bean(PartitionOwner.class);
            owner.stallBeforeCommit();
            try {
                RecordMetadata second = producer.send(new ProducerRecord<>(ns.ingestTopic(), 0, "k",
                        IngestWrite.put("2".getBytes()).contentType("text/plain"))).get(30, TimeUnit.SECONDS);
                String token = IngestTokens.tokenFor(second);
                HttpResponse<String> waited = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        node.keyUrl(ns.value(), "k") + "?consistency=strong&wait_ms=500")).header("KV-Token", token).GET());
                assertThat(waited.statusCode()).as("the ingested write is not applied yet: %s", waited.body()).isEqualTo(503);
                assertThat(waited.body()).contains("not-caught-up");
                owner.resume();
                HttpResponse<String> strong = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        node.keyUrl(ns.value(), "k") + "?consistency=strong&wait_ms=10000")).header("KV-Token", token).GET());
                assertThat(strong.statusCode()).as(strong.body()).isEqualTo(200);
                assertThat(strong.body()).isEqualTo("2");
            } finally {
                owner.resume();
            }
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
            String key = "k-" + (i % KEYS);
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

    /** The i of a value {@code v<i>} written by {@link #produce}. */
    private static int writeIndex(String value) {
        assertThat(value).as("a value written by produce").matches("v[0-9]+");
        return Integer.parseInt(value.substring(1));
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
