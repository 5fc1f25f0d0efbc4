package io.logkv.writer;

import io.logkv.core.HybridClock;
import io.logkv.core.NodeTime;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What every partition writer of a node shares.
 *
 * @param commitPool       runs the writers' work; its size bounds the transactions in flight on the node
 * @param timer            schedules retries
 * @param ends             where a new owner starts
 * @param groupLoop        runs a command on the writers' group loop, the only thread that may touch its consumer
 * @param transactions     the transactions of a truth partition (a new producer for each writer)
 * @param time             the clocks the writers read
 * @param homes            whether this region still takes a namespace's writes, asked by every new owner
 * @param leases           whether this node may acknowledge a namespace's writes now, asked by every batch before it is
 *                         sent and again before its writes are answered
 */
record WriterServices(OwnerSettings settings, StateLookup state, IngestRecords ingest, HybridClock clock, int writerId,
                      Executor commitPool, ScheduledExecutorService timer, LogEnds ends, GroupLoop groupLoop,
                      WriterMeters meters, Function<TopicPartition, PartitionCommits> transactions, NodeTime time,
                      NamespaceHomes homes, HomeLeases leases) {

    /** The writers' group loop, seen from a partition writer. */
    interface GroupLoop {
        /** Runs {@code command} on the group loop's thread, soon. */
        void run(Consumer<KafkaConsumer<byte[], byte[]>> command);
    }
}
