package io.logkv.writer;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The transactions of one truth partition, as its writer uses them ({@link PartitionTransactions} over a
 * transactional producer). Used by one writer's drain at a time.
 */
interface PartitionCommits extends AutoCloseable {

    /**
     * Takes the partition's transactional id: every earlier writer of it is fenced and its open transaction
     * resolved before this returns.
     *
     * @throws WriteFailedException when Kafka could not be reached in time (nothing changed)
     */
    void fenceEarlierWriters();

    /**
     * As {@link #fenceEarlierWriters()}, for a writer that may give the partition up meanwhile: where taking the
     * partition is several steps (several transactional ids), none is taken once {@code givenUp} says so, because
     * the partition's next owner may have taken the earlier ones already and would be fenced by this writer.
     *
     * @throws WriteFailedException also when given up before every step was taken (nothing more is taken)
     */
    default void fenceEarlierWriters(java.util.function.BooleanSupplier givenUp) {
        fenceEarlierWriters();
    }

    /** Whether {@link #fenceEarlierWriters()} succeeded and no failure has closed the producer since. */
    boolean ready();

    /**
     * Commits {@code records}, and the ingest offsets when there are any, in one transaction.
     *
     * @return the offset of each record, in order
     * @throws WriteFailedException when nothing was committed, or, with {@code outcomeUnknown}, when it is not
     *                              known; with {@code deposed} when another writer has taken the partition
     */
    List<Long> commit(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> ingestOffsets);

    @Override
    void close();
}
