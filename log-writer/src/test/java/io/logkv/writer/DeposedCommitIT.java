package io.logkv.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.logkv.core.KafkaConnection;
import io.logkv.testkit.KafkaTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A deposed owner whose commit meets the abort that the new owner's fence made, against real brokers. With
 * transactions version 2 that commit is answered {@code INVALID_TXN_STATE} while the new owner's fence is still under
 * way (not {@code PRODUCER_FENCED}): the deposed owner must still know itself deposed, and stop, rather than take the
 * transactional id back from the newer owner.
 */
class DeposedCommitIT {

    @Test
    void aCommitThatMeetsTheNewOwnersAbortKnowsItsWriterDeposed() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.shared();
        String topic = "logkv.truth.deposed-" + Long.toString(System.nanoTime(), 36);
        kafka.admin().createTopics(List.of(new NewTopic(topic, 1, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                .all().get(30, TimeUnit.SECONDS);
        TopicPartition tp = new TopicPartition(topic, 0);
        String transactionalId = "deposed-" + topic;
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The deposed owner stalls between sending its records and committing them.
        Runnable beforeCommit = () -> {
            stalled.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        PartitionTransactions deposed = new PartitionTransactions(settings(kafka), transactionalId, beforeCommit);
        deposed.fenceEarlierWriters();
        CompletableFuture<List<Long>> zombie = CompletableFuture.supplyAsync(() -> deposed.commit(List.of(record(tp, "zombie")), Map.of()));
        assertThat(stalled.await(60, TimeUnit.SECONDS)).isTrue();
        // Its records reach the partition once the producer's linger runs out: the transaction is open at the coordinator.
        awaitState(kafka, transactionalId, TransactionState.ONGOING);

        // A new owner takes the id. The coordinator aborts the open transaction and bumps the epoch, and answers the new
        // owner to ask again, which it does only after 5 s: meanwhile the deposed owner's commit arrives.
        try (KafkaProducer<byte[], byte[]> newOwner = newOwner(kafka, transactionalId)) {
            CompletableFuture<Void> taken = CompletableFuture.runAsync(newOwner::initTransactions);
            awaitState(kafka, transactionalId, TransactionState.COMPLETE_ABORT);
            release.countDown();
            assertThatThrownBy(zombie::join).cause().isInstanceOfSatisfying(WriteFailedException.class, failed -> {
                assertThat(failed.deposed()).as("deposed: " + failed.getMessage()).isTrue();
                assertThat(failed.outcomeUnknown()).isTrue();
            });
            assertThat(deposed.ready()).isFalse();

            taken.get(60, TimeUnit.SECONDS);
            newOwner.beginTransaction();
            newOwner.send(record(tp, "after"));
            newOwner.commitTransaction();
        }
        assertThat(kafka.readCommitted(List.of(tp))).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("after");
    }

    private static void awaitState(KafkaTestCluster kafka, String transactionalId, TransactionState state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        TransactionState now;
        while ((now = kafka.admin().describeTransactions(List.of(transactionalId)).description(transactionalId)
                .get(30, TimeUnit.SECONDS).state()) != state) {
            assertThat(System.nanoTime()).as("the transaction %s (now %s)", state, now).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static KafkaProducer<byte[], byte[]> newOwner(KafkaTestCluster kafka, String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5_000);
        props.put(ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 5_000);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static OwnerSettings settings(KafkaTestCluster kafka) {
        Duration second = Duration.ofSeconds(1);
        return new OwnerSettings(KafkaConnection.of(kafka.bootstrapServers()), "node", "deposed", second, second,
                100, 1L << 30, 10, 1 << 20, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(30), second,
                Duration.ofMinutes(10), "none", Duration.ZERO, Duration.ZERO, 1);
    }

    private static ProducerRecord<byte[], byte[]> record(TopicPartition tp, String value) {
        return new ProducerRecord<>(tp.topic(), tp.partition(), "k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }
}
