package io.logkv.materializer;

import io.logkv.core.CommandQueue;
import io.logkv.core.DaemonThreads;
import io.logkv.core.NodeTime;
import io.logkv.materializer.PollToReplicas.Polled;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
 * in one RocksDB batch ({@link PollToReplicas}), then wakes the reads waiting for that position. Fetching and
 * decoding the next poll so overlaps writing the last one; a replay spent half its time in {@code poll}.
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
    private final PollToReplicas pollToReplicas;
    private final BooleanSupplier running;
    private final java.util.function.Consumer<RuntimeException> failed;
    private final Runnable onExit;
    private final NodeTime time;
    private final BlockingQueue<Polled> handoff = new ArrayBlockingQueue<>(HANDOFF_POLLS);
    /** Polls handed over and not yet applied; guarded by {@code handoff}'s monitor. */
    private int unapplied;
    private volatile boolean stopApplying;
    private volatile RuntimeException applyFailure;

    /**
     * @param running whether to go on; checked between polls
     * @param failed  told of the runtime exception that stopped the loop
     * @param onExit  runs on the polling thread when the loop ends, however it ends (closing what it used)
     * @param time    the clock positions are persisted every few seconds of, lag is observed by, and the
     *                applying thread is given time to stop by
     */
    ReplicaApplier(Consumer<byte[], byte[]> consumer, Map<TopicPartition, PartitionReplica> replicas,
                   CommandQueue<Consumer<byte[], byte[]>> commands,
                   RecordsToStore recordsToStore, ReplicaDigests digests, ReplicaRebuilds rebuilds, Counter appliedRecords,
                   BooleanSupplier running, java.util.function.Consumer<RuntimeException> failed, Runnable onExit, NodeTime time) {
        this.consumer = consumer;
        this.replicas = replicas;
        this.commands = commands;
        this.pollToReplicas = new PollToReplicas(replicas, recordsToStore, digests, rebuilds, appliedRecords);
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
        // The system's clock, not the injected one: this bounds a real thread's join, and a test's clock that does
        // not move would leave a stuck applier waited for forever.
        long deadlineNanos = System.nanoTime() + APPLYING_STOP_TIMEOUT.toNanos();
        while (applying.isAlive() && System.nanoTime() < deadlineNanos) {
            try {
                applying.join(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000));
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
                pollToReplicas.apply(polled);
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
}
