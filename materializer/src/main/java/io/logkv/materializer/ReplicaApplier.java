package io.logkv.materializer;

import io.logkv.core.CommandQueue;
import io.logkv.core.DaemonThreads;
import io.logkv.core.NodeTime;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
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
 * The apply loop, on two threads. The polling thread (the one that runs this) alone touches the consumer: it
 * reads every assigned truth partition with a {@code read_committed} consumer (so records of aborted or
 * still-open transactions never reach a replica), notes where each partition stands after the poll, and hands
 * both to the applying thread, which writes per partition and poll the records and the position they lead to
 * in one RocksDB batch, then wakes the reads waiting for that position. Fetching and decoding the next poll so
 * overlaps writing the last one; a replay spent half its time in {@code poll}.
 *
 * <p>Between polls the polling thread runs the commands other threads queued (opening, closing and rebuilding
 * replicas, digests, seeks), but only once the applying thread has applied everything handed to it and waits:
 * a command sees every replica at the position of the last poll, and no record polled before a seek or a
 * close is applied after it. Between commands only the applying thread writes to the stores. At most
 * {@link #HANDOFF_POLLS} polls wait for the applying thread, so what is fetched ahead stays bounded.
 */
final class ReplicaApplier implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaApplier.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final long POSITION_PERSIST_INTERVAL_MS = 5_000;
    /** Polls fetched ahead of the one being applied. */
    static final int HANDOFF_POLLS = 2;
    private static final long HANDOFF_WAIT_MS = 100;
    /**
     * How long the polling thread waits, when it stops, for the applying thread to apply what it holds; within
     * the 30 s {@code LocalReplicas#close} gives the polling thread.
     */
    private static final Duration APPLYING_STOP_TIMEOUT = Duration.ofSeconds(20);

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
    private final BlockingQueue<Polled> handoff = new ArrayBlockingQueue<>(HANDOFF_POLLS);
    /** Polls handed over and not yet applied; guarded by {@code handoff}'s monitor. */
    private int unapplied;
    private volatile boolean stopApplying;
    private volatile RuntimeException applyFailure;
    private long lastPersistMs;

    /**
     * One poll, as the polling thread hands it over: the records, and where each assigned partition stood
     * after it (positions and lags as the consumer knew them then, at {@code atMs}).
     */
    private record Polled(ConsumerRecords<byte[], byte[]> records, Map<TopicPartition, Long> positions,
                          Map<TopicPartition, Long> lags, long atMs) {
    }

    /**
     * @param running whether to go on; checked between polls
     * @param failed  told of the runtime exception that stopped the loop
     * @param onExit  runs on the polling thread when the loop ends, however it ends (closing what it used)
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
        Thread applying = DaemonThreads.start("logkv-replica-apply", this::applyHandedOver);
        try {
            while (running.getAsBoolean()) {
                failIfApplyingFailed();
                if (commands.hasPending()) {
                    awaitApplied();
                    commands.runPending(consumer);
                }
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
                handOver(new Polled(records, new HashMap<>(), new HashMap<>(), time.nowMs()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failed.accept(e);
            log.error("event=applier_failed", e);
        } finally {
            if (stopApplying(applying)) {
                commands.runPending(consumer);
                onExit.run();
            }
        }
    }

    /**
     * Waits until the applying thread has applied every poll handed to it (the polling thread only): then the
     * replicas stand where the last poll left them, and nothing but the caller touches them.
     */
    void awaitApplied() throws InterruptedException {
        synchronized (handoff) {
            while (unapplied > 0 && applyFailure == null) {
                handoff.wait(HANDOFF_WAIT_MS);
            }
        }
        failIfApplyingFailed();
    }

    /** Notes where each partition stands after the poll, and queues the poll for the applying thread. */
    private void handOver(Polled polled) throws InterruptedException {
        try {
            for (TopicPartition tp : consumer.assignment()) {
                // The position comes from the consumer before the next poll moves it: the applying thread
                // moves a replica there only after writing every record of this poll.
                polled.positions().put(tp, consumer.position(tp));
                OptionalLong lag = consumer.currentLag(tp);
                if (lag.isPresent()) {
                    polled.lags().put(tp, lag.getAsLong());
                }
            }
        } catch (WakeupException e) {
            // a command is waiting; the partitions not noted yet are noted after the next poll
        }
        synchronized (handoff) {
            unapplied++;
        }
        while (!handoff.offer(polled, HANDOFF_WAIT_MS, TimeUnit.MILLISECONDS)) {
            failIfApplyingFailed();
        }
    }

    private void failIfApplyingFailed() {
        RuntimeException failure = applyFailure;
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Lets the applying thread apply what it holds and end; whether it has ended. Waits through interrupts
     * (keeping them for the caller): closing the stores under a thread still writing to them would crash the process.
     */
    private boolean stopApplying(Thread applying) {
        stopApplying = true;
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + APPLYING_STOP_TIMEOUT.toNanos();
        while (applying.isAlive() && System.nanoTime() < deadline) {
            try {
                applying.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (applying.isAlive()) {
            log.error("event=applier_not_stopped timeout={} stores_left_open=true", APPLYING_STOP_TIMEOUT);
            return false;
        }
        return true;
    }

    /** The applying thread: applies each poll handed over, in order, until told to stop and nothing is left. */
    private void applyHandedOver() {
        try {
            while (!stopApplying || !handoff.isEmpty()) {
                Polled polled = handoff.poll(HANDOFF_WAIT_MS, TimeUnit.MILLISECONDS);
                if (polled == null) {
                    continue;
                }
                apply(polled.records());
                observePositions(polled);
                synchronized (handoff) {
                    unapplied--;
                    handoff.notifyAll();
                }
            }
        } catch (InterruptedException e) {
            applyFailure = new IllegalStateException("the replica applying thread was interrupted", e);
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            applyFailure = e;
        } catch (Error e) {
            applyFailure = new IllegalStateException("the replica applying thread died", e);
            throw e;
        } finally {
            if (applyFailure != null) {
                log.error("event=replica_apply_failed", applyFailure);
            }
            synchronized (handoff) {
                handoff.notifyAll();
            }
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

    /** Moves each replica to where its partition stood after the poll just applied, and notes its lag. */
    private void observePositions(Polled polled) {
        long now = polled.atMs();
        boolean persist = now - lastPersistMs >= POSITION_PERSIST_INTERVAL_MS;
        long behind = 0;
        for (Map.Entry<TopicPartition, PartitionReplica> entry : replicas.entrySet()) {
            TopicPartition tp = entry.getKey();
            PartitionReplica replica = entry.getValue();
            Long position = polled.positions().get(tp);
            if (position != null) {
                replica.advancedWithoutRecords(position);
            }
            if (digests.waiting(tp)) {
                digests.takeDue(tp, replica, replica.appliedPosition());
            }
            rebuilds.advancedTo(tp, replica.appliedPosition());
            Long lag = polled.lags().get(tp);
            if (lag != null) {
                replica.observeLag(lag, now);
                behind += lag;
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

    /** What {@link #kill} throws on the polling thread (where commands run). */
    private static final class ApplierKilled extends Error {
        ApplierKilled() {
            super("the replica applier was killed by fault injection");
        }
    }
}
