package io.logkv.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.testkit.KafkaTestCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A promotion's step that takes a mirror's transactional id runs again when its transaction was ended under it, against
 * real brokers. With transactions version 2 the coordinator's own abort of a transaction (a timeout, or another
 * instance's start that fences it) bumps the epoch, and a commit still under way is answered {@code INVALID_TXN_STATE},
 * not {@code PRODUCER_FENCED}: nothing was committed, and the step must be taken again rather than fail the promotion.
 */
@Tag("integration")
class FencingRetryIT {

    private final KafkaTestCluster region = KafkaTestCluster.sharedRegion("a");

    @Test
    void aStepWhoseTransactionTheCoordinatorEndedRunsAgainAndCommitsOnce() throws Exception {
        String topic = "fencing-retry-" + Long.toString(System.nanoTime(), 36);
        String transactionalId = "fencing-retry-" + topic;
        Admin admin = region.admin();
        {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get();
            AtomicInteger attempts = new AtomicInteger();
            int committedBy = FencingRetry.run("commit a record", () -> {
                int attempt = attempts.incrementAndGet();
                // The first attempt's transaction times out at the coordinator before it commits.
                try (KafkaProducer<byte[], byte[]> producer = producer(transactionalId, attempt == 1 ? 1_000 : 60_000)) {
                    producer.initTransactions();
                    producer.beginTransaction();
                    producer.send(new ProducerRecord<>(topic, "k".getBytes(StandardCharsets.UTF_8),
                            ("attempt-" + attempt).getBytes(StandardCharsets.UTF_8)));
                    producer.flush();
                    if (attempt == 1) {
                        awaitAborted(admin, transactionalId);
                    }
                    producer.commitTransaction();
                    return attempt;
                }
            });
            assertThat(committedBy).isEqualTo(2);
            List<ConsumerRecord<byte[], byte[]>> records = KafkaTestCluster.readTopic(region.bootstrapServers(), topic,
                    Duration.ofSeconds(30)).records();
            assertThat(records).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactly("attempt-2");
        }
    }

    /** Waits until the coordinator has aborted the transaction of {@code transactionalId}. */
    private static void awaitAborted(Admin admin, String transactionalId) {
        try {
            CopyRegion.await("the coordinator aborting the timed-out transaction", Duration.ofSeconds(60), () -> {
                try {
                    return admin.describeTransactions(List.of(transactionalId)).description(transactionalId).get().state()
                            == TransactionState.COMPLETE_ABORT;
                } catch (InterruptedException | ExecutionException e) {
                    throw new IllegalStateException(e);
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private KafkaProducer<byte[], byte[]> producer(String transactionalId, int transactionTimeoutMs) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, region.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, transactionTimeoutMs);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
