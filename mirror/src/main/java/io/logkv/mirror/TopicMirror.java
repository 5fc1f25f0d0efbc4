package io.logkv.mirror;

import io.logkv.core.DaemonThreads;
import io.logkv.core.MirrorPosition;
import io.logkv.core.RegionName;
import io.logkv.writer.KafkaUnavailableException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror of one truth topic: one thread that reads the source region's committed records
 * ({@code read_committed}, so aborted transactions are never copied) and writes them, with the positions
 * they bring the mirror to, in one transaction into the target region. Whatever stops it — a crash, a
 * failed commit, a broker loss — it resumes from the positions committed with the records, after fencing
 * every other instance with its transactional id: so each source record is in the target exactly once,
 * in the source's order (docs/adr/0011-mirror-transactions-with-positions-in-the-target.md).
 *
 * <pre>
 *   STARTING ──▶ MIRRORING ──(failure)──▶ RETRYING ──▶ MIRRORING
 *       │             │                       │
 *       └─────────────┴─▶ REFUSED | FENCED | STOPPED (the thread ends; the mirror's rescan may start a new one)
 * </pre>
 *
 * The consumer and the producer are used by the mirror's thread only.
 */
final class TopicMirror {

    /** What a topic's mirror is doing. */
    enum State {
        STARTING, MIRRORING, RETRYING, REFUSED, FENCED, STOPPED;

        /** Whether the thread has ended. */
        boolean isFinal() {
            return this == REFUSED || this == FENCED || this == STOPPED;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(TopicMirror.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);

    private final MirrorSettings settings;
    private final String topic;
    private final TargetTopics targetTopics;
    private final PositionsTopic positions;
    private final PositionsTopic sourcePositions;
    private final OpenTransactions openTransactions;
    private final MirrorMeters meters;
    private final MirrorHooks hooks;
    private final RegistryCopies registries;
    /** Per partition, the committed position this mirror last wrote: where idle polls move it from. */
    private final Map<Integer, MirrorPosition> written = new HashMap<>();
    private long lastHeartbeatMs;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;
    private volatile State state = State.STARTING;
    private volatile String problem = "";
    private volatile boolean running = true;
    private Thread thread;
    private long recordsSinceProgress;
    private long lastProgressNanos = System.nanoTime();

    TopicMirror(MirrorSettings settings, String topic, TargetTopics targetTopics, PositionsTopic positions,
                PositionsTopic sourcePositions, OpenTransactions openTransactions, MirrorMeters meters, MirrorHooks hooks,
                RegistryCopies registries) {
        this.settings = settings;
        this.registries = registries;
        this.topic = topic;
        this.targetTopics = targetTopics;
        this.positions = positions;
        this.sourcePositions = sourcePositions;
        this.openTransactions = openTransactions;
        this.meters = meters;
        this.hooks = hooks;
        this.consumer = newConsumer();
    }

    void start() {
        thread = DaemonThreads.start("mirror-" + topic, this::run);
    }

    String topic() {
        return topic;
    }

    MirrorMeters meters() {
        return meters;
    }

    State state() {
        return state;
    }

    /** Why the mirror is refused, retrying or fenced; empty otherwise. */
    String problem() {
        return problem;
    }

    /** Stops the thread (without committing what it has in flight) and waits for it, at most {@code timeout}. */
    void stop(Duration timeout) throws InterruptedException {
        running = false;
        consumer.wakeup();
        if (thread != null) {
            thread.interrupt();
            thread.join(timeout.toMillis());
        }
    }

    private void run() {
        try {
            while (running) {
                // Fenced while mirroring or while aborting after a failure: another instance has taken over.
                try {
                    attempt();
                } catch (ProducerFencedException e) {
                    end(State.FENCED, "another instance of this mirror took over (transactional id "
                            + settings.transactionalId(topic) + ")");
                    return;
                } catch (MirrorRefusedException e) {
                    end(State.REFUSED, e.getMessage());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Stopping interrupts the thread; the clients refuse to close in an interrupted thread.
            Thread.interrupted();
            closeClients();
            if (!state.isFinal()) {
                state = State.STOPPED;
            }
        }
    }

    /** Resumes and mirrors until stopped or until a failure, after which it waits out the backoff. */
    private void attempt() throws InterruptedException {
        try {
            resume();
            state = State.MIRRORING;
            problem = "";
            while (running) {
                mirrorOnce();
            }
        } catch (ProducerFencedException | MirrorRefusedException e) {
            throw e;
        } catch (WakeupException | InterruptException | InterruptedException e) {
            if (running) {
                retryAfter(e);
            }
        } catch (KafkaException | KafkaUnavailableException e) {
            retryAfter(e);
        } catch (RuntimeException e) {
            // Not expected; tried again like a Kafka failure rather than ending the thread unseen.
            log.error("event=mirror_unexpected_failure topic={}", topic, e);
            retryAfter(e);
        }
    }

    private void end(State finalState, String why) {
        problem = why;
        state = finalState;
        log.error("event=mirror_{} topic={} reason=\"{}\"", finalState.name().toLowerCase(java.util.Locale.ROOT), topic, why);
    }

    /** A failure whose transaction may or may not have committed: a fresh producer fences and resumes from the positions. */
    private void retryAfter(Exception e) throws InterruptedException {
        state = State.RETRYING;
        problem = String.valueOf(e.getMessage());
        log.warn("event=mirror_retry topic={} backoff_ms={} error=\"{}\"", topic, settings.retryBackoff().toMillis(),
                e.getCause() == null ? e.toString() : e + " caused by " + e.getCause());
        abortQuietly();
        closeProducer();
        Thread.sleep(settings.retryBackoff().toMillis());
    }

    /**
     * Fences every other instance, then finds where the committed positions say to go on, creating or
     * checking the target topic (and claiming it, with empty positions, the first time).
     */
    private void resume() throws InterruptedException {
        closeProducer();
        int partitions = targetTopics.sourcePartitions(topic);
        producer = newProducer();
        producer.initTransactions();
        Map<Integer, MirrorPosition> committed = positions.read(settings.sourceRegion(), topic);
        // Before anything is written: a refused mirror's claim would make the real home look like a copy.
        Set<RegionName> copiedFrom = sourcePositions.mirroredInto(topic);
        if (!copiedFrom.isEmpty()) {
            throw new MirrorRefusedException(topic + " is itself a mirror's copy in region " + settings.sourceRegion()
                    + " (copied from " + copiedFrom + "): its home is elsewhere, and mirroring it back would loop");
        }
        registries.check(topic); // a namespace of the target region's own (or another's copy) is not mixed into
        targetTopics.prepare(topic, partitions, !committed.isEmpty());
        if (committed.isEmpty()) {
            claim(partitions);
        }
        // The target region's nodes serve the copy once its registry names the namespace with its home.
        registries.register(topic);
        // A transaction still open on a target partition would be committed by this mirror's next commit
        // marker if it is a hanging one of its own producer id, and holds readers back in any case.
        openTransactions.settle(topic, partitions, settings.transactionTimeout());
        List<TopicPartition> assigned = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        consumer.assign(assigned);
        written.clear();
        for (int p = 0; p < partitions; p++) {
            written.put(p, committed.getOrDefault(p, new MirrorPosition(settings.sourceRegion(), topic, p, 0, -1, -1)));
        }
        for (TopicPartition partition : assigned) {
            MirrorPosition position = committed.get(partition.partition());
            if (position == null || position.lastTargetOffset() < 0) {
                consumer.seekToBeginning(List.of(partition));
            } else {
                consumer.seek(partition, position.nextSourceOffset());
            }
        }
        log.info("event=mirror_resumed topic={} source={} target={} partitions={} positions={}", topic, settings.sourceRegion(),
                settings.targetRegion(), partitions, committed.values().stream()
                        .map(p -> p.partition() + ":" + p.nextSourceOffset()).sorted().toList());
    }

    /** Positions before the first record, so that a restart knows the target topic is this mirror's. */
    private void claim(int partitions) {
        producer.beginTransaction();
        for (int p = 0; p < partitions; p++) {
            producer.send(PositionsTopic.record(new MirrorPosition(settings.sourceRegion(), topic, p, 0, -1, -1)));
        }
        producer.commitTransaction();
    }

    /**
     * One transaction: polls of the source for up to the commit interval (or until a poll returns nothing, or
     * the transaction holds its most records), each poll's records sent while the next is fetched, then the
     * positions after them, committed together.
     */
    private void mirrorOnce() throws InterruptedException {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        long polledAtMs = System.currentTimeMillis();
        Set<Integer> caughtUp = caughtUp();
        if (records.isEmpty()) {
            Map<Integer, MirrorPosition> quiet = quietPositions(caughtUp, polledAtMs, Set.of());
            if (!quiet.isEmpty()) {
                producer.beginTransaction();
                quiet.values().forEach(position -> producer.send(PositionsTopic.record(position)));
                producer.commitTransaction();
                written.putAll(quiet);
            }
            logProgress();
            return;
        }
        long start = System.nanoTime();
        long commitBy = start + settings.commitInterval().toNanos();
        producer.beginTransaction();
        Map<TopicPartition, Future<RecordMetadata>> lastSent = new HashMap<>();
        Map<TopicPartition, ConsumerRecord<byte[], byte[]>> lastCopied = new HashMap<>();
        int count = 0;
        while (true) {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                lastSent.put(partition, producer.send(MirroredRecords.toTarget(record, settings.sourceRegion())));
                lastCopied.put(partition, record);
            }
            count += records.count();
            long left = commitBy - System.nanoTime();
            if (left <= 0 || count >= settings.maxTransactionRecords()) {
                break;
            }
            // The next poll asks for no more than the transaction still has room for.
            records = consumer.poll(Duration.ofNanos(Math.min(left, POLL.toNanos())));
            polledAtMs = System.currentTimeMillis();
            caughtUp = caughtUp();
            if (records.isEmpty()) {
                break; // read to the end: commit now rather than hold the records back
            }
        }
        // The positions name the target offset of each partition's last record, known once it is sent.
        producer.flush();
        Map<Integer, MirrorPosition> mirrored = new HashMap<>();
        for (Map.Entry<TopicPartition, ConsumerRecord<byte[], byte[]>> copied : lastCopied.entrySet()) {
            TopicPartition partition = copied.getKey();
            ConsumerRecord<byte[], byte[]> last = copied.getValue();
            MirrorPosition earlier = written.get(partition.partition());
            // Past the last record, and past a commit marker after it when the consumer has read that far:
            // every source record below the consumer's position has been returned, so it is copied.
            long next = Math.max(last.offset() + 1, consumer.position(partition, settings.kafkaTimeout()));
            MirrorPosition position = new MirrorPosition(settings.sourceRegion(), topic, partition.partition(),
                    next, offsetOf(lastSent.get(partition)), last.timestamp(),
                    caughtUp.contains(partition.partition()) ? polledAtMs : earlier == null ? -1 : earlier.caughtUpAtMs());
            producer.send(PositionsTopic.record(position));
            mirrored.put(partition.partition(), position);
        }
        // The topic's other partitions may be quiet while these are busy: their positions go in the same transaction.
        Map<Integer, MirrorPosition> quiet = quietPositions(caughtUp, polledAtMs, mirrored.keySet());
        quiet.values().forEach(position -> producer.send(PositionsTopic.record(position)));
        mirrored.putAll(quiet);
        hooks.beforeCommit(topic);
        producer.commitTransaction();
        written.putAll(mirrored);
        hooks.afterCommit(topic);
        meters.committed(count, System.nanoTime() - start);
        lastCopied.forEach((partition, last) -> meters.lastMirrored(partition.partition(), last.timestamp()));
        recordsSinceProgress += count;
        logProgress();
    }

    /** The partitions the consumer has read to their end, as of its last poll (and their lag meters updated). */
    private Set<Integer> caughtUp() {
        Set<Integer> caughtUp = new HashSet<>();
        for (TopicPartition partition : consumer.assignment()) {
            consumer.currentLag(partition).ifPresent(lag -> {
                meters.lag(partition.partition(), lag);
                if (lag == 0) {
                    caughtUp.add(partition.partition());
                }
            });
        }
        return caughtUp;
    }

    /**
     * The positions of the partitions that returned no records in this poll (all but {@code busy}) that say
     * something new, to be committed without records:
     * <ul>
     *   <li>the source has been read past the last mirrored record: a source transaction's commit marker (and
     *   any aborted records) follows its last record, and a token of the source region names the position
     *   after the marker. Without this, a target region could not tell that nothing it lacks lies below such
     *   a position until the next record of that partition came;</li>
     *   <li>a heartbeat: every {@code heartbeat}, a partition read to the source's end gets a fresh caught-up
     *   time, so that the target region knows how old its copy is without traffic (a mirror that is stopped,
     *   cut off or behind lets it age).</li>
     * </ul>
     * Every source record below the consumer's position has been returned by a poll, and so copied.
     */
    private Map<Integer, MirrorPosition> quietPositions(Set<Integer> caughtUp, long polledAtMs, Set<Integer> busy) {
        boolean heartbeat = polledAtMs - lastHeartbeatMs >= settings.heartbeat().toMillis();
        if (heartbeat) {
            lastHeartbeatMs = polledAtMs;
        }
        Map<Integer, MirrorPosition> moved = new HashMap<>();
        for (TopicPartition partition : consumer.assignment()) {
            MirrorPosition last = written.get(partition.partition());
            if (last == null || busy.contains(partition.partition())) {
                continue;
            }
            long position = consumer.position(partition, settings.kafkaTimeout());
            boolean fresh = caughtUp.contains(partition.partition());
            if (position > last.nextSourceOffset() || (heartbeat && fresh)) {
                moved.put(partition.partition(), new MirrorPosition(settings.sourceRegion(), topic, partition.partition(),
                        Math.max(position, last.nextSourceOffset()), last.lastTargetOffset(), last.lastSourceTimestampMs(),
                        fresh ? polledAtMs : last.caughtUpAtMs()));
            }
        }
        return moved;
    }

    private static long offsetOf(Future<RecordMetadata> sent) throws InterruptedException {
        try {
            return sent.get().offset();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof KafkaException kafka ? kafka : new KafkaException(e.getCause());
        }
    }

    private void logProgress() {
        long now = System.nanoTime();
        if (now - lastProgressNanos < PROGRESS_INTERVAL.toNanos()) {
            return;
        }
        if (recordsSinceProgress > 0) {
            double seconds = (now - lastProgressNanos) / 1e9;
            log.info("event=mirror_progress topic={} records={} records_per_second={} lag_records={}", topic, recordsSinceProgress,
                    Math.round(recordsSinceProgress / seconds), meters.lagRecords());
        }
        recordsSinceProgress = 0;
        lastProgressNanos = now;
    }

    private KafkaConsumer<byte[], byte[]> newConsumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.sourceBootstrapServers());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "logkv-mirror-" + settings.targetRegion() + "-" + topic);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Never skip or repeat silently: a position the source no longer has is a failure to look at.
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private KafkaProducer<byte[], byte[]> newProducer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.targetBootstrapServers());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "logkv-mirror-" + settings.sourceRegion() + "-" + topic);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, settings.transactionalId(topic));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) settings.transactionTimeout().toMillis());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) settings.kafkaTimeout().toMillis());
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) (settings.kafkaTimeout().toMillis() + settings.transactionTimeout().toMillis()));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 * 1024 * 1024);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * Aborts the open transaction, as Kafka asks after an abortable error, so that the coordinator ends it
     * before anything else happens; if that fails too, the next instance's fence aborts it.
     */
    private void abortQuietly() {
        if (producer == null) {
            return;
        }
        try {
            producer.abortTransaction();
        } catch (ProducerFencedException e) {
            throw e;
        } catch (KafkaException | IllegalStateException e) {
            log.debug("event=mirror_abort_failed topic={} error=\"{}\"", topic, e.toString());
        }
    }

    private void closeProducer() {
        if (producer != null) {
            // No wait: an open transaction is aborted by the next instance's fence, never committed by this one.
            producer.close(Duration.ZERO);
            producer = null;
        }
    }

    private void closeClients() {
        closeProducer();
        consumer.close(Duration.ZERO);
    }
}
