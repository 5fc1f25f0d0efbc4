package io.logkv.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logkv.testkit.KafkaTestCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class TransactionalAppenderIT {

    private static final String TOPIC = "logkv.truth.appender-it";
    private static TruthTopics topics;

    @BeforeAll
    static void createTopic() {
        topics = new TruthTopics(KafkaTestCluster.shared().admin(), new TruthTopicRequirements(3, 2, 2_000_000), Duration.ofSeconds(30));
        topics.ensure(TOPIC, 2);
    }

    @Test
    void concurrentWritesShareTransactionsAndAllCommit() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (TransactionalAppender appender = new TransactionalAppender(settings("group-commit"), meters)) {
            List<CompletableFuture<AppendedRecord>> results = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                results.add(appender.append(TOPIC, i % 2, key("k" + i), value("v" + i), List.of()));
            }
            Set<String> positions = new HashSet<>();
            for (CompletableFuture<AppendedRecord> result : results) {
                AppendedRecord record = result.get(30, TimeUnit.SECONDS);
                positions.add(record.partition() + "@" + record.offset());
            }
            assertThat(positions).hasSize(500);
            double transactions = meters.get("logkv.writer.batch.records").summary().count();
            assertThat(transactions).as("transactions for 500 queued writes").isLessThan(500);
            assertThat(meters.get("logkv.writer.batch.records").summary().max()).isGreaterThan(1);
        }
    }

    @Test
    void aFencedWriterGetsAnErrorAndItsRecordNeverBecomesVisible() throws Exception {
        try (TransactionalAppender zombie = new TransactionalAppender(settings("fenced-writer"), new SimpleMeterRegistry())) {
            zombie.append(TOPIC, 0, key("before"), value("zombie-ok"), List.of()).get(30, TimeUnit.SECONDS);
            try (TransactionalAppender successor = new TransactionalAppender(settings("fenced-writer"), new SimpleMeterRegistry())) {
                successor.append(TOPIC, 0, key("successor"), value("successor-ok"), List.of()).get(30, TimeUnit.SECONDS);

                CompletableFuture<AppendedRecord> late = zombie.append(TOPIC, 0, key("late"), value("zombie-late"), List.of());
                assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(WriteFailedException.class);
            }
        }
        List<String> visible = readCommittedValues(new TopicPartition(TOPIC, 0));
        assertThat(visible).contains("zombie-ok", "successor-ok").doesNotContain("zombie-late");
    }

    private static AppenderSettings settings(String transactionalId) {
        return new AppenderSettings(KafkaTestCluster.shared().bootstrapServers(), transactionalId, 10_000, 1000,
                16 << 20, 2_000_000, Duration.ofSeconds(10), Duration.ofSeconds(10), "lz4");
    }

    private static List<String> readCommittedValues(TopicPartition partition) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.shared().bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(new String(record.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    private static byte[] key(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
