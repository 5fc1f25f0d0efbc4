package io.logkv.writer;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The transactions of one truth partition, taking turns between the partition's transactional ids (ADR 0005,
 * follow-up of 2026-12-02). A transaction still begins only after the one before it has committed, so the
 * partition's records stay in the order its writer decided them and every condition is checked against committed
 * writes. But it runs under the next id, so it does not wait for the commit markers of the one before: Kafka's
 * coordinator refuses to add a partition to an id's next transaction ({@code CONCURRENT_TRANSACTIONS}) until the
 * last one's markers are written, and that wait, with the producer's back-off, was a third of each transaction.
 *
 * <p>Fencing takes every id, in turn: a deposed owner keeps none it could commit with. Used by one writer's drain
 * at a time, as {@link PartitionCommits} are.
 */
final class AlternatingCommits implements PartitionCommits {

    private final List<PartitionCommits> turns;
    private int next;

    AlternatingCommits(List<PartitionCommits> turns) {
        if (turns.isEmpty()) {
            throw new IllegalArgumentException("a partition needs at least one transactional id");
        }
        this.turns = List.copyOf(turns);
    }

    /** A producer for each of the partition's transactional ids ({@link OwnerSettings#transactionalIds}). */
    static AlternatingCommits of(OwnerSettings settings, TopicPartition truthPartition, Runnable beforeCommit) {
        return new AlternatingCommits(settings.transactionalIds(truthPartition).stream()
                .<PartitionCommits>map(id -> new PartitionTransactions(settings, id, beforeCommit))
                .toList());
    }

    /**
     * Takes every transactional id of the partition, one after the other; if one cannot be taken, none is kept
     * (the writer is not ready and fences again before it writes).
     */
    @Override
    public void fenceEarlierWriters() {
        fenceEarlierWriters(() -> false);
    }

    /**
     * Takes the ids one after the other, and no further one once the writer has given the partition up: taking an
     * id can take up to the delivery timeout, long enough for the group to give the partition to another node,
     * which takes every id itself; a later id taken here would fence that newer owner.
     */
    @Override
    public void fenceEarlierWriters(java.util.function.BooleanSupplier givenUp) {
        try {
            for (PartitionCommits turn : turns) {
                if (givenUp.getAsBoolean()) {
                    throw new WriteFailedException("the writer gave the partition up while taking its transactional ids", null, false);
                }
                turn.fenceEarlierWriters();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        next = 0;
    }

    /** Whether every id has been taken and no failure has closed its producer since. */
    @Override
    public boolean ready() {
        for (PartitionCommits turn : turns) {
            if (!turn.ready()) {
                return false;
            }
        }
        return true;
    }

    /** Commits under the next id in turn; a failure leaves that id's producer as {@link PartitionTransactions} says. */
    @Override
    public List<Long> commit(List<ProducerRecord<byte[], byte[]>> records, Map<TopicPartition, OffsetAndMetadata> ingestOffsets) {
        PartitionCommits turn = turns.get(next);
        next = (next + 1) % turns.size();
        return turn.commit(records, ingestOffsets);
    }

    @Override
    public void close() {
        for (PartitionCommits turn : turns) {
            turn.close();
        }
    }
}
