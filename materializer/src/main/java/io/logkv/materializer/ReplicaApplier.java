package io.logkv.materializer;

import io.logkv.core.CommandQueue;
import io.logkv.core.NodeTime;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apply loop: the one thread that reads every assigned truth partition with a {@code read_committed}
 * consumer (so records of aborted or still-open transactions never reach a replica) and, per partition
 * and poll, writes the records and the position they lead to in one RocksDB batch, then wakes the reads
 * waiting for that position. Between polls it runs the commands other threads queued (opening, closing
 * and rebuilding replicas, digests), so that only this thread touches the consumer and the stores' writes.
 */
final class ReplicaApplier implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaApplier.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final long POSITION_PERSIST_INTERVAL_MS = 5_000;

    private final Consumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, PartitionReplica> replicas;
    private final CommandQueue<Consumer<byte[], byte[]>> commands;
    private final RecordsToStore recordsToStore;
    private final ReplicaDigests digests;
    private final ReplicaRebuilds rebuilds;
    private final Counter appliedRecords;
    private final BooleanSupplier running;
    private final java.util.function.Consumer<RuntimeException> failed;
    private final Runnable onExit;
    private final NodeTime time;
    private final ReplayProgressLog replayLog = new ReplayProgressLog();
    private long lastPersistMs;

    /**
     * @param running whether to go on; checked between polls
     * @param failed  told of the runtime exception that stopped the loop
     * @param onExit  runs on this thread when the loop ends, however it ends (closing what it used)
     * @param time    the clock positions are persisted every few seconds of, and lag is observed by
     */
    ReplicaApplier(Consumer<byte[], byte[]> consumer, Map<TopicPartition, PartitionReplica> replicas,
                   CommandQueue<Consumer<byte[], byte[]>> commands,
                   RecordsToStore recordsToStore, ReplicaDigests digests, ReplicaRebuilds rebuilds, Counter appliedRecords,
                   BooleanSupplier running, java.util.function.Consumer<RuntimeException> failed, Runnable onExit, NodeTime time) {
        this.consumer = consumer;
        this.replicas = replicas;
        this.commands = commands;
        this.recordsToStore = recordsToStore;
        this.digests = digests;
        this.rebuilds = rebuilds;
        this.appliedRecords = appliedRecords;
        this.running = running;
        this.failed = failed;
        this.onExit = onExit;
        this.time = time;
    }

    @Override
    public void run() {
        try {
            while (running.getAsBoolean()) {
                commands.runPending(consumer);
                if (replicas.isEmpty()) {
                    Thread.sleep(POLL_TIMEOUT.toMillis() / 4);
                    continue;
                }
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(POLL_TIMEOUT);
                } catch (WakeupException e) {
                    continue;
                }
                apply(records);
                try {
                    observePositions();
                } catch (WakeupException e) {
                    // a command is waiting; positions are observed again after the next poll
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failed.accept(e);
            log.error("event=applier_failed", e);
        } finally {
            commands.runPending(consumer);
            onExit.run();
        }
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
            // Reads may see the batch as soon as it is written, before the replica's position moves: their
            // answer tokens take this position (PartitionReplica#positionCovering).
            replica.writing(position);
            changes.commit(position);
            replica.applied(position, applied.records(), applied.ingestPosition());
        }
        appliedRecords.increment(applied.records());
        rebuilds.applied(tp, position, applied.records(), applied.bytes());
    }

    private void observePositions() {
        long now = time.nowMs();
        boolean persist = now - lastPersistMs >= POSITION_PERSIST_INTERVAL_MS;
        long behind = 0;
        for (Map.Entry<TopicPartition, PartitionReplica> entry : replicas.entrySet()) {
            TopicPartition tp = entry.getKey();
            PartitionReplica replica = entry.getValue();
            long position = consumer.position(tp);
            replica.advancedWithoutRecords(position);
            if (digests.waiting(tp)) {
                digests.takeDue(tp, replica, replica.appliedPosition());
            }
            rebuilds.advancedTo(tp, replica.appliedPosition());
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isPresent()) {
                replica.observeLag(lag.getAsLong(), now);
                behind += lag.getAsLong();
            }
            if (persist && replica.positionUnpersisted()) {
                replica.persistPosition();
            }
        }
        if (persist) {
            lastPersistMs = now;
        }
        replayLog.observe(behind, appliedRecords.count(), now);
    }

    /** The applier's consumer: {@code read_committed}, positioned by the applier alone (no group, no commits). */
    static KafkaConsumer<byte[], byte[]> consumer(ReplicaSettings settings) {
        Properties props = settings.kafka().properties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.clientId());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Queues the applier's death: it dies at its next turn, of an error nothing handles (fault injection). */
    static void kill(CommandQueue<Consumer<byte[], byte[]>> commands) {
        commands.post(consumer -> {
            throw new ApplierKilled();
        });
    }

    /** What {@link #kill} throws on the applying thread. */
    private static final class ApplierKilled extends Error {
        ApplierKilled() {
            super("the replica applier was killed by fault injection");
        }
    }
}
