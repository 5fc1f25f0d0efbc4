package io.logkv.mirror;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeProducersResult.PartitionProducerState;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transactions still open on a mirrored topic's partitions in the target region after the mirror has
 * fenced its predecessors. The mirror is the only writer of its target topics and its own earlier
 * transactions are complete once it is fenced, so such a transaction is either another producer's or a
 * hanging one (a batch its coordinator does not know of); a later commit marker of the same producer would
 * make its records visible, and while it is open it holds every {@code read_committed} reader back. The
 * mirror waits for it to end (its coordinator aborts it after its timeout) and aborts it itself if it is
 * still open after that.
 */
final class OpenTransactions {

    private static final Logger log = LoggerFactory.getLogger(OpenTransactions.class);
    private static final Duration RECHECK = Duration.ofMillis(500);

    private final Admin target;
    private final Duration timeout;

    OpenTransactions(Admin target, Duration timeout) {
        this.target = target;
        this.timeout = timeout;
    }

    /**
     * Returns once no transaction is open on the topic's partitions, aborting those still open after
     * {@code patience}.
     *
     * @return how many transactions it aborted
     */
    int settle(String topic, int partitions, Duration patience) throws InterruptedException {
        List<TopicPartition> all = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            List<AbortTransactionSpec> open = open(all);
            if (open.isEmpty()) {
                return 0;
            }
            if (System.nanoTime() > deadline) {
                for (AbortTransactionSpec transaction : open) {
                    log.warn("event=mirror_open_transaction_aborted partition={} producer_id={} producer_epoch={}",
                            transaction.topicPartition(), transaction.producerId(), transaction.producerEpoch());
                    AdminCalls.await(target.abortTransaction(transaction).all(), "abort a transaction open on " + transaction.topicPartition(), timeout);
                }
                return open.size();
            }
            Thread.sleep(RECHECK.toMillis());
        }
    }

    /** The transactions open on {@code partitions} now, one per partition and producer. */
    List<AbortTransactionSpec> open(List<TopicPartition> partitions) {
        Map<TopicPartition, PartitionProducerState> states = AdminCalls.await(target.describeProducers(partitions).all(),
                "describe the producers of " + partitions.get(0).topic(), timeout);
        List<AbortTransactionSpec> open = new ArrayList<>();
        states.forEach((partition, state) -> {
            for (ProducerState producer : state.activeProducers()) {
                if (producer.currentTransactionStartOffset().isPresent()) {
                    open.add(new AbortTransactionSpec(partition, producer.producerId(), (short) producer.producerEpoch(),
                            producer.coordinatorEpoch().orElse(0)));
                }
            }
        });
        return open;
    }
}
