package io.logkv.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logkv.core.KafkaConnection;
import io.logkv.testkit.KafkaTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A partition's transactions taking turns between its transactional ids, against real brokers: the records stay in
 * the order they were committed, every id is used, and a new owner's fence leaves a deposed owner no id to commit
 * with, whichever id its open transaction is under.
 */
class AlternatingCommitsIT {

    private static final String TOPIC = "logkv.truth.alternating";
    private static KafkaTestCluster kafka;

    @BeforeAll
    static void topic() throws Exception {
        kafka = KafkaTestCluster.shared();
        kafka.admin().createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
    }

    @Test
    void transactionsTakeTurnsAndStayInOrder() throws Exception {
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        OwnerSettings settings = settings("turns");
        try (AlternatingCommits commits = AlternatingCommits.of(settings, tp, () -> { })) {
            commits.fenceEarlierWriters();
            long previous = -1;
            for (int i = 0; i < 6; i++) {
                List<Long> offsets = commits.commit(List.of(record(tp, "k" + i, "a" + i), record(tp, "k" + i, "b" + i)), Map.of());
                assertThat(offsets).hasSize(2);
                assertThat(offsets.get(0)).isGreaterThan(previous);
                assertThat(offsets.get(1)).isGreaterThan(offsets.get(0));
                previous = offsets.get(1);
            }
        }
        assertThat(values(kafka.readCommitted(List.of(tp))))
                .containsExactly("a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4", "a5", "b5");
        // Every id carried transactions (an id that never began one would be EMPTY).
        Map<String, TransactionDescription> described = kafka.admin()
                .describeTransactions(settings.transactionalIds(tp)).all().get(30, TimeUnit.SECONDS);
        assertThat(described).hasSize(OwnerSettings.TRANSACTIONAL_IDS_PER_PARTITION);
        described.values().forEach(transaction -> assertThat(transaction.state())
                .isIn(TransactionState.COMPLETE_COMMIT, TransactionState.PREPARE_COMMIT));
    }

    @Test
    void aNewOwnerFencesADeposedOwnerOnEveryId() throws Exception {
        TopicPartition tp = new TopicPartition(TOPIC, 1);
        OwnerSettings settings = settings("fenced");
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger commitsStarted = new AtomicInteger();
        // The deposed owner's second transaction (under the second id) stalls between its send and its commit.
        Runnable beforeCommit = () -> {
            if (commitsStarted.incrementAndGet() == 2) {
                stalled.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (AlternatingCommits deposed = AlternatingCommits.of(settings, tp, beforeCommit);
             AlternatingCommits owner = AlternatingCommits.of(settings, tp, () -> { })) {
            deposed.fenceEarlierWriters();
            deposed.commit(List.of(record(tp, "k", "before")), Map.of());
            CompletableFuture<List<Long>> zombie = CompletableFuture.supplyAsync(
                    () -> deposed.commit(List.of(record(tp, "k", "zombie")), Map.of()));
            assertThat(stalled.await(60, TimeUnit.SECONDS)).isTrue();

            owner.fenceEarlierWriters();
            release.countDown();
            assertThatThrownBy(zombie::join).hasCauseInstanceOf(WriteFailedException.class);
            assertThat(deposed.ready()).isFalse();

            owner.commit(List.of(record(tp, "k", "after-1")), Map.of());
            owner.commit(List.of(record(tp, "k", "after-2")), Map.of());
        }
        List<String> committed = values(kafka.readCommitted(List.of(tp)));
        assertThat(committed).containsExactly("before", "after-1", "after-2").doesNotContain("zombie");
    }

    @Test
    void aWriterKnowsTheEndItsTransactionsLeaveAndNotAnotherWritersTransactionBeyondIt() throws Exception {
        TopicPartition tp = new TopicPartition(TOPIC, 2);
        OwnerSettings settings = settings("ends");
        WriterProgress progress = new WriterProgress();
        try (AlternatingCommits writer = AlternatingCommits.of(settings, tp, () -> { });
             AlternatingCommits next = AlternatingCommits.of(settings, tp, () -> { })) {
            writer.fenceEarlierWriters();
            progress.caughtUpTo(settledEnd(tp));
            int late = 0;
            for (int i = 0; i < 30; i++) { // back to back, as a busy writer commits
                List<Long> offsets = writer.commit(List.of(record(tp, "k", "a" + i), record(tp, "k", "b" + i)), Map.of());
                progress.committed(offsets.get(0), offsets.get(1), 2);
                late += progress.lateMarkers;
            }
            long end = settledEnd(tp);
            System.out.printf("30 transactions in turns: %d with the marker before them still on the way; known end %d + %d, end %d%n",
                    late, progress.knownEnd, progress.lateMarkers, end);
            assertThat(progress.holdsOnlyKnown(end)).as("the end once every marker is in (known end %s, late markers %s)",
                    progress.knownEnd, progress.lateMarkers).isTrue();

            next.fenceEarlierWriters();
            next.commit(List.of(record(tp, "k", "another writer's")), Map.of());
            assertThat(progress.holdsOnlyKnown(settledEnd(tp))).as("another writer's transaction is beyond what it knows").isFalse();
        }
    }

    /** The partition's end once every commit marker is written: the last stable offset has reached the high watermark. */
    private static long settledEnd(TopicPartition tp) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            long stable = end(tp, IsolationLevel.READ_COMMITTED);
            long high = end(tp, IsolationLevel.READ_UNCOMMITTED);
            if (stable == high || System.nanoTime() > deadline) {
                return high;
            }
            Thread.sleep(5);
        }
    }

    private static long end(TopicPartition tp, IsolationLevel isolation) throws Exception {
        return kafka.admin().listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(isolation))
                .partitionResult(tp).get(30, TimeUnit.SECONDS).offset();
    }

    private static OwnerSettings settings(String group) {
        Duration second = Duration.ofSeconds(1);
        return new OwnerSettings(KafkaConnection.of(kafka.bootstrapServers()), "node", "alternating-" + group, second, second,
                100, 1L << 30, 10, 1 << 20, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(30), second,
                Duration.ofMinutes(10), "none", Duration.ZERO, Duration.ZERO, 1);
    }

    private static ProducerRecord<byte[], byte[]> record(TopicPartition tp, String key, String value) {
        return new ProducerRecord<>(tp.topic(), tp.partition(), key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> values(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().map(record -> new String(record.value(), StandardCharsets.UTF_8)).toList();
    }
}
