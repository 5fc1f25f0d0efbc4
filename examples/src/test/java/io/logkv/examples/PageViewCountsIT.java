package io.logkv.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.client.TopologyTokens;
import io.logkv.core.IngestHeaders;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.testkit.KafkaTestCluster;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example topology on real brokers, under exactly_once_v2, writing into a real LogKV node. */
@Tag("integration")
class PageViewCountsIT {

    private static final int USERS = 8;
    private static final int VIEWS = 600;
    private static final Pattern VIEWS_FIELD = Pattern.compile("\"views\":(\\d+)");

    @TempDir
    Path dir;

    @Test
    void everyPageViewCountsExactlyOnceInLogKvAcrossARestartOfTheStreamsAppMidInput() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        String suffix = Long.toString(System.nanoTime(), 36);
        NamespaceName ns = new NamespaceName("views-" + suffix);
        String input = "page-views-" + suffix;
        String applicationId = "page-view-counts-" + suffix;
        kafka.admin().createTopics(List.of(new NewTopic(input, 2, (short) 3))).all().get(30, TimeUnit.SECONDS);

        try (LogKvTestNode node = LogKvTestNode.start("examples-1", kafka.bootstrapServers(), dir.resolve("node"));
             KafkaProducer<String, String> producer = producer(kafka.bootstrapServers());
             TopologyTokens tokens = new TopologyTokens(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            assertThat(node.putNamespace(ns.value(), "{\"partitions\":2}").statusCode()).isIn(200, 201);

            // Page views keep arriving while the first instance runs, is closed, and the second takes over.
            Map<String, Integer> expected = new HashMap<>();
            Map<TopicPartition, Long> lastInput = new HashMap<>();
            CompletableFuture<Void> views = CompletableFuture.runAsync(() -> produceViews(producer, input, expected, lastInput));

            KafkaStreams first = start(applicationId, kafka.bootstrapServers(), input, ns, dir.resolve("streams-1"));
            Awaitility.await().atMost(Duration.ofSeconds(45)).until(() -> committedInputRecords(kafka, applicationId) >= 100);
            first.close(Duration.ofSeconds(30));
            assertThat(views).as("the restart happens in the middle of the input").isNotDone();

            // A fresh state directory: the second instance restores the counts from the changelog.
            KafkaStreams second = start(applicationId, kafka.bootstrapServers(), input, ns, dir.resolve("streams-2"));
            try {
                views.get(60, TimeUnit.SECONDS);
                for (Map.Entry<TopicPartition, Long> last : lastInput.entrySet()) {
                    tokens.awaitProcessed(applicationId, last.getKey(), last.getValue(), Duration.ofSeconds(45));
                }
                String token = tokens.tokenForCommitted(ns.value(), Duration.ofSeconds(10));

                // Read-your-writes: under the token, every user's count is final, no polling.
                for (Map.Entry<String, Integer> user : expected.entrySet()) {
                    HttpResponse<String> read = node.get(ns.value(), user.getKey(), token);
                    assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                    assertThat(viewsIn(read.body())).as("%s's count", user.getKey()).isEqualTo(user.getValue());
                    assertThat(read.headers().firstValue("KV-Expires-At")).isPresent();
                }
            } finally {
                second.close(Duration.ofSeconds(30));
            }

            // Exactly once in the log: per user the committed counts are 1, 2, ..., n (none lost, none repeated),
            // and the truth topic holds one record per committed ingest write.
            Map<String, List<Integer>> countsPerUser = new HashMap<>();
            List<ConsumerRecord<byte[], byte[]>> ingest = kafka.readCommitted(partitions(ns.ingestTopic()));
            for (ConsumerRecord<byte[], byte[]> record : ingest) {
                countsPerUser.computeIfAbsent(new String(record.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                        .add(viewsIn(new String(RecordEnvelope.decode(record.value()).value(), StandardCharsets.UTF_8)));
            }
            for (Map.Entry<String, Integer> user : expected.entrySet()) {
                List<Integer> oneToN = new ArrayList<>();
                for (int i = 1; i <= user.getValue(); i++) {
                    oneToN.add(i);
                }
                assertThat(countsPerUser.get(user.getKey())).as(user.getKey()).isEqualTo(oneToN);
            }
            long truthWrites = kafka.readCommitted(partitions(ns.truthTopic())).stream()
                    .filter(r -> !IngestHeaders.isProgressMarker(r.key())).count();
            assertThat(truthWrites).isEqualTo(VIEWS);
        }
    }

    private static KafkaStreams start(String applicationId, String bootstrap, String input, NamespaceName ns, Path stateDir) {
        Properties config = RunPageViewCounts.streamsConfig(applicationId, bootstrap, stateDir.toString());
        // No caching: each page view writes one count, so the log shows whether any view counted twice.
        config.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        KafkaStreams streams = new KafkaStreams(PageViewCounts.topology(input, ns.value(), Duration.ofHours(1)), config);
        streams.start();
        return streams;
    }

    /** Produces {@link #VIEWS} page views over about three seconds, round-robin over the users. */
    private static void produceViews(KafkaProducer<String, String> producer, String input,
                                     Map<String, Integer> expected, Map<TopicPartition, Long> lastInput) {
        try {
            for (int i = 0; i < VIEWS; i++) {
                String user = "user-" + (i % USERS);
                RecordMetadata sent = producer.send(new ProducerRecord<>(input, user, "/page-" + (i % 5))).get(30, TimeUnit.SECONDS);
                synchronized (expected) {
                    expected.merge(user, 1, Integer::sum);
                    lastInput.merge(new TopicPartition(sent.topic(), sent.partition()), sent.offset(), Math::max);
                }
                Thread.sleep(5);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static long committedInputRecords(KafkaTestCluster kafka, String applicationId) throws Exception {
        return kafka.admin().listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
                .values().stream().filter(o -> o != null).mapToLong(o -> o.offset()).sum();
    }

    private static int viewsIn(String json) {
        Matcher matcher = VIEWS_FIELD.matcher(json);
        assertThat(matcher.find()).as(json).isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    private static List<TopicPartition> partitions(String topic) {
        return List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }
}
