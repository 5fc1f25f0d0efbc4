package io.logkv.materializer;

import io.micrometer.core.instrument.Counter;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

/**
 * What one poll does to the replicas, on the applier's applying thread: each partition's records are written
 * with the position they lead to in one batch, cut where a digest is due; then every replica moves to where its
 * partition stood after the poll, notes its lag, and persists a position reached without records every few seconds.
 */
final class PollToReplicas {

    private static final long POSITION_PERSIST_INTERVAL_MS = 5_000;

    private final Map<TopicPartition, PartitionReplica> replicas;
    private final RecordsToStore recordsToStore;
    private final ReplicaDigests digests;
    private final ReplicaRebuilds rebuilds;
    private final Counter appliedRecords;
    private final ReplayProgressLog replayLog = new ReplayProgressLog();
    private long lastPersistMs;

    /**
     * One poll, as the polling thread hands it over: the records, and where each assigned partition stood
     * after it (positions and lags as the consumer knew them then, at {@code atMs}).
     */
    record Polled(ConsumerRecords<byte[], byte[]> records, Map<TopicPartition, Long> positions,
                  Map<TopicPartition, Long> lags, long atMs) {
    }

    PollToReplicas(Map<TopicPartition, PartitionReplica> replicas, RecordsToStore recordsToStore, ReplicaDigests digests,
                   ReplicaRebuilds rebuilds, Counter appliedRecords) {
        this.replicas = replicas;
        this.recordsToStore = recordsToStore;
        this.digests = digests;
        this.rebuilds = rebuilds;
        this.appliedRecords = appliedRecords;
    }

    /** Applies a poll's records, then moves each replica to where its partition stood after the poll. */
    void apply(Polled polled) {
        apply(polled.records());
        observePositions(polled);
    }

    private void apply(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            PartitionReplica replica = replicas.get(tp);
            if (replica == null) {
                continue;
            }
            List<ConsumerRecord<byte[], byte[]>> batch = records.records(tp);
            int from = 0;
            while (from < batch.size()) {
                // A digest asked for at position P sees every record below P and none above: the batch is
                // cut there, and the snapshot taken between the two parts.
                long cut = digests.nextCut(tp);
                int to = from;
                while (to < batch.size() && batch.get(to).offset() < cut) {
                    to++;
                }
                if (to > from) {
                    long position = to < batch.size() ? cut : batch.get(to - 1).offset() + 1;
                    applySegment(tp, replica, batch.subList(from, to), position);
                }
                if (to < batch.size()) {
                    ingestStaged(tp, replica);
                    replica.advancedWithoutRecords(cut);
                    digests.takeDue(tp, replica, batch.get(to).offset());
                }
                from = to;
            }
        }
    }

    private void applySegment(TopicPartition tp, PartitionReplica replica, List<ConsumerRecord<byte[], byte[]>> segment, long position) {
        RecordsToStore.Applied applied;
        try (PartitionStore.Batch changes = replica.store().newBatch()) {
            applied = recordsToStore.write(tp, changes, segment);
            // The position comes from the records (or the digest cut), not consumer.position(): that call
            // can throw a pending wakeup, and the position must never run ahead of what this batch holds.
            if (applied.ingestPosition() > 0) {
                changes.ingestPosition(applied.ingestPosition());
            }
            FileLoad load = replica.store().fileLoad();
            if (load != null) {
                changes.stage(load, position, applied.records(), applied.bytes(), applied.ingestPosition());
                if (load.full()) {
                    counted(tp, replica.handOffStaged());
                }
                return;
            }
            // Reads may see the batch as soon as it is written, before the replica's position moves: noted first,
            // so that a read knows a batch was being written (PartitionReplica#readPositioned).
            replica.writing(position);
            changes.commit(position);
            replica.applied(position, applied.records(), applied.ingestPosition());
        }
        appliedRecords.increment(applied.records());
        rebuilds.applied(tp, position, applied.records(), applied.bytes());
    }

    /** Ingests what a replica loading by table files has staged, and counts it as applied. */
    private void ingestStaged(TopicPartition tp, PartitionReplica replica) {
        counted(tp, replica.ingestStaged());
    }

    private void counted(TopicPartition tp, FileLoad.Loaded loaded) {
        if (loaded != null) {
            appliedRecords.increment(loaded.records());
            rebuilds.applied(tp, loaded.position(), loaded.records(), loaded.bytes());
        }
    }

    /** Moves each replica to where its partition stood after the poll just applied, and notes its lag. */
    private void observePositions(Polled polled) {
        long now = polled.atMs();
        boolean persist = now - lastPersistMs >= POSITION_PERSIST_INTERVAL_MS;
        long behind = 0;
        for (Map.Entry<TopicPartition, PartitionReplica> entry : replicas.entrySet()) {
            TopicPartition tp = entry.getKey();
            PartitionReplica replica = entry.getValue();
            counted(tp, replica.publishLoaded());
            Long position = polled.positions().get(tp);
            if (position != null && digests.nextCut(tp) <= position) {
                // A digest is due within this poll: what is staged goes in first, so the position can reach it.
                ingestStaged(tp, replica);
            }
            if (position != null && !replica.holdsStaged()) {
                // With batches staged, the position stays where the store's contents are until they are ingested.
                replica.advancedWithoutRecords(position);
            }
            if (digests.waiting(tp)) {
                digests.takeDue(tp, replica, replica.appliedPosition());
            }
            rebuilds.advancedTo(tp, replica.appliedPosition());
            Long lag = polled.lags().get(tp);
            if (lag != null) {
                counted(tp, replica.observeLag(lag, now));
                behind += lag;
            } else {
                // A replica may start serving without a lag to observe (its position reached the log's end).
                counted(tp, replica.adjustFileLoad());
            }
            if (persist && replica.positionUnpersisted() && !replica.holdsStaged()) {
                // (With batches staged, a file in flight may be ingested meanwhile; each file carries its position.)
                replica.persistPosition();
            }
        }
        if (persist) {
            lastPersistMs = now;
        }
        replayLog.observe(behind, appliedRecords.count(), now);
    }
}
