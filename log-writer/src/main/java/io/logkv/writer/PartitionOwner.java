package io.logkv.writer;

import io.logkv.core.HybridClock;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.logkv.core.Version;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.Base64;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the partitions this node owns.
 *
 * <p>Ownership comes from Kafka's consumer group machinery: the node's consumer joins the writers' group
 * subscribed to every namespace's ingest topic, and owning partition <i>p</i> of an ingest topic means
 * owning partition <i>p</i> of the namespace's truth topic. Every transaction this owner commits carries
 * the group's generation ({@code sendOffsetsToTransaction} with the consumer's group metadata), so a
 * deposed owner (paused, cut off from the group) cannot commit: its records stay invisible to
 * {@code read_committed} readers and its clients get an error. A new owner fetches its offsets with
 * {@code require_stable}, so it starts only after the previous owner's last transaction is resolved, then
 * waits until its replica has applied the partition's committed end before it accepts any write.
 *
 * <p>Conditions are checked here, by the only writer of the partition, against what it wrote recently
 * and its replica; a failed condition is answered only after the transaction it was checked in has
 * committed, so every answer is linearizable. Concurrent writes share transactions (group commit).
 */
public final class PartitionOwner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionOwner.class);
    private static final int MAX_ATTEMPTS = 3;

    private final OwnerSettings settings;
    private final StateLookup state;
    private final OwnerTransactions transactions;
    private final IngestRecords ingest;
    private final HybridClock clock;
    private final int writerId;
    private final BlockingQueue<PendingWrite> queue;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final RecentWrites recent = new RecentWrites();
    private final List<PendingWrite> retries = new ArrayList<>();
    private final Map<TopicPartition, Ownership> owned = new HashMap<>();
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile Thread loop;
    private final Timer commitTimer;
    private final DistributionSummary batchRecords;
    private final Counter failedWrites;
    private final Counter preconditionFailures;
    private volatile Set<TopicPartition> ownedSnapshot = Set.of();
    private volatile boolean running = true;
    private volatile boolean stalled;
    private volatile String advertisedUrl;
    private Set<String> subscribed = Set.of();

    public PartitionOwner(OwnerSettings settings, StateLookup state, IngestRecords ingest, HybridClock clock,
                          int writerId, MeterRegistry meters) {
        this.settings = settings;
        this.state = state;
        this.ingest = ingest;
        this.clock = clock;
        this.writerId = writerId;
        this.queue = new ArrayBlockingQueue<>(settings.maxPendingWrites());
        this.transactions = new OwnerTransactions(settings, this::holdWhileStalled);
        this.commitTimer = Timer.builder("logkv.writer.commit").description("Time to commit one transaction")
                .publishPercentileHistogram().register(meters);
        this.batchRecords = DistributionSummary.builder("logkv.writer.batch.records")
                .description("Records per transaction (group commit)").register(meters);
        this.failedWrites = Counter.builder("logkv.writer.failed").description("Writes not acknowledged").register(meters);
        this.preconditionFailures = Counter.builder("logkv.writer.precondition.failed")
                .description("Conditional writes whose condition did not hold").register(meters);
        meters.gauge("logkv.writer.pending", queue, BlockingQueue::size);
        meters.gauge("logkv.writer.owned.partitions", this, owner -> owner.ownedSnapshot.size());
    }

    /**
     * Joins the writers' group as a node reachable at {@code advertisedUrl} (known only once the HTTP
     * server listens) and starts the owner loop. Until then every write answers {@link NotOwnerException}.
     */
    public synchronized void start(String advertisedUrl) {
        if (loop != null) {
            return;
        }
        this.advertisedUrl = advertisedUrl;
        consumer = OwnerTransactions.groupConsumer(settings, advertisedUrl);
        loop = new Thread(this::run, "logkv-partition-owner");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * Queues a write for the next transaction.
     *
     * @return completes once the write is committed; exceptionally with {@link NotOwnerException},
     *         {@link PreconditionFailedException} or {@link WriteFailedException}
     * @throws WriterOverloadedException when too many writes are already waiting
     */
    public CompletableFuture<WriteOutcome> submit(WriteRequest request) {
        PendingWrite pending = new PendingWrite(request, null, new CompletableFuture<>(), System.nanoTime());
        KafkaConsumer<byte[], byte[]> groupConsumer = consumer;
        if (groupConsumer == null) {
            pending.result().completeExceptionally(new NotOwnerException(pending.truthPartition()));
            return pending.result();
        }
        if (!running) {
            throw new WriterOverloadedException("the writer is shutting down");
        }
        if (!queue.offer(pending)) {
            throw new WriterOverloadedException("more than " + settings.maxPendingWrites() + " writes are waiting");
        }
        groupConsumer.wakeup();
        return pending.result();
    }

    /** Follows exactly these namespaces: subscribes to their ingest topics, which decides ownership. */
    public void follow(Collection<NamespaceName> namespaces) {
        Set<String> topics = new HashSet<>();
        namespaces.forEach(ns -> topics.add(ns.ingestTopic()));
        commands.add(() -> {
            if (!topics.equals(subscribed)) {
                for (String topic : topics) {
                    if (!subscribed.contains(topic)) {
                        // Learn the new topic's metadata first: a group leader that assigns before it knows a
                        // topic leaves its partitions unowned until its next metadata refresh.
                        learnMetadata(topic);
                    }
                }
                subscribed = Set.copyOf(topics);
                if (topics.isEmpty()) {
                    consumer.unsubscribe();
                } else {
                    consumer.subscribe(topics, new Rebalance());
                }
            }
        });
        wakeUp();
    }

    private void learnMetadata(String topic) {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                consumer.partitionsFor(topic, settings.sessionTimeout());
                return;
            } catch (WakeupException e) {
                // a write arrived meanwhile; ask again
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                log.warn("event=topic_metadata_slow topic={}", topic);
                return;
            }
        }
    }

    private void wakeUp() {
        KafkaConsumer<byte[], byte[]> groupConsumer = consumer;
        if (groupConsumer != null) {
            groupConsumer.wakeup();
        }
    }

    /** Where other nodes reach this one (as published to the writers' group), or null before {@link #start}. */
    public String advertisedUrl() {
        return advertisedUrl;
    }

    /** The truth partitions this node owns and has caught up with (so accepts writes for). */
    public Set<TopicPartition> owned() {
        return ownedSnapshot;
    }

    /**
     * Fault injection: the owner loop stops at its most dangerous point, with a batch's records sent but
     * not committed, until {@link #resume()}. While it stands still it does not poll, so the group
     * deposes it after {@code max.poll.interval}: a stand-in for a long GC pause or a frozen process,
     * used to show that a deposed owner's writes never become visible.
     */
    public void stallBeforeCommit() {
        stalled = true;
    }

    public void resume() {
        stalled = false;
    }

    private void holdWhileStalled() {
        while (stalled && running) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void run() {
        List<PendingWrite> batch = new ArrayList<>();
        try {
            while (running) {
                try {
                    runCommands();
                    ConsumerRecords<byte[], byte[]> records = poll();
                    releaseCaughtUp(batch);
                    List<PendingWrite> again = new ArrayList<>(retries);
                    retries.clear();
                    again.forEach(pending -> admit(pending, batch));
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        admit(ingest.toWrite(record), batch);
                    }
                    gather(batch);
                    if (!batch.isEmpty()) {
                        process(batch);
                    }
                    pruneRecent();
                } catch (WakeupException e) {
                    retries.addAll(batch.stream().filter(p -> p.source() == null).toList());
                } catch (RuntimeException e) {
                    // The loop must outlive any one failure: a node that stops writing is worse than a failed batch.
                    log.error("event=owner_loop_error", e);
                    fail(batch, new WriteFailedException("the partition owner failed", e, true));
                    Thread.sleep(100);
                } finally {
                    batch.clear();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            List<PendingWrite> rest = new ArrayList<>(retries);
            queue.drainTo(rest);
            owned.values().forEach(o -> rest.addAll(o.parked));
            fail(rest, new WriteFailedException("the writer stopped", null, false));
            transactions.close();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private ConsumerRecords<byte[], byte[]> poll() throws InterruptedException {
        if (subscribed.isEmpty()) {
            PendingWrite first = queue.poll(50, TimeUnit.MILLISECONDS);
            if (first != null) {
                first.result().completeExceptionally(new NotOwnerException(first.truthPartition()));
            }
            return ConsumerRecords.empty();
        }
        try {
            return consumer.poll(queue.isEmpty() && retries.isEmpty() ? Duration.ofMillis(100) : Duration.ZERO);
        } catch (WakeupException e) {
            return ConsumerRecords.empty();
        }
    }

    private void runCommands() {
        Runnable command;
        while ((command = commands.poll()) != null) {
            command.run();
        }
    }

    /** Moves queued writes into the batch, up to the batch bounds. */
    private void gather(List<PendingWrite> batch) {
        long bytes = batch.stream().mapToLong(PendingWrite::bytes).sum();
        PendingWrite next;
        while (batch.size() < settings.maxBatchRecords() && bytes < settings.maxBatchBytes() && (next = queue.poll()) != null) {
            if (admit(next, batch)) {
                bytes += next.bytes();
            }
        }
    }

    /** Adds a write to the batch if this node owns its partition and has caught up; parks it while catching up. */
    private boolean admit(PendingWrite pending, List<PendingWrite> batch) {
        TopicPartition tp = pending.truthPartition();
        Ownership ownership = owned.get(tp);
        if (ownership == null) {
            pending.result().completeExceptionally(new NotOwnerException(tp));
            return false;
        }
        if (!ownership.caughtUp) {
            ownership.parked.add(pending);
            return false;
        }
        batch.add(pending);
        return true;
    }

    private void process(List<PendingWrite> batch) {
        long now = System.currentTimeMillis();
        Map<String, RecentWrites.Entry> tentative = new HashMap<>();
        List<Accepted> accepted = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        Map<String, PendingWrite> firstWithKey = new HashMap<>();
        for (PendingWrite pending : batch) {
            WriteRequest request = pending.request();
            if (request == null) {
                deadLetters.add(ingest.deadLetter(pending.source(), pending.source().malformedReason()));
                continue;
            }
            TopicPartition tp = pending.truthPartition();
            if (request.idempotencyKey() != null && answeredBefore(pending, tp, firstWithKey, now)) {
                continue;
            }
            String slot = tp + "/" + Base64.getEncoder().encodeToString(request.key());
            Version current = currentVersion(tp, request, tentative.get(slot), now);
            if (!request.condition().holds(current)) {
                rejected.add(new Rejected(pending, current));
                if (pending.source() != null) {
                    deadLetters.add(ingest.deadLetter(pending.source(), "precondition failed: current version "
                            + (current == null ? "none" : current.text())));
                }
                continue;
            }
            Version version = new Version(clock.next(), writerId);
            tentative.put(slot, new RecentWrites.Entry(version, request.isDelete(), request.expiresAtMs(), Long.MAX_VALUE));
            accepted.add(new Accepted(pending, tp, version));
        }
        boolean fromIngest = batch.stream().anyMatch(p -> p.source() != null);
        if (accepted.isEmpty() && !fromIngest) {
            // Nothing to write: the conditions were checked against committed state only.
            answerRejected(rejected);
            return;
        }
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(accepted.size() + deadLetters.size());
        accepted.forEach(a -> records.add(OwnerTransactions.record(a.tp(), a.pending().request(), a.version())));
        records.addAll(deadLetters);
        Map<TopicPartition, OffsetAndMetadata> offsets = ingest.offsetsFor(batch);
        records.addAll(ingest.progressMarkers(batch));
        long start = System.nanoTime();
        List<Long> stored;
        try {
            stored = transactions.commit(records, offsets, consumer.groupMetadata());
        } catch (WriteFailedException e) {
            ingest.rewind(consumer, batch);
            retryOrFail(batch, e);
            return;
        }
        ingest.committed(offsets);
        commitTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        batchRecords.record(accepted.size());
        for (int i = 0; i < accepted.size(); i++) {
            Accepted a = accepted.get(i);
            long position = stored.get(i) + 1;
            WriteRequest request = a.pending().request();
            recent.put(a.tp(), request.key(), new RecentWrites.Entry(a.version(), request.isDelete(), request.expiresAtMs(), position));
            if (request.idempotencyKey() != null) {
                recent.putOutcome(a.tp(), idempotencyBytes(request), new IdempotentOutcome(a.version(), position, now, request.key()));
            }
            a.pending().result().complete(new WriteOutcome(a.version(), new LogPosition(a.tp().partition(), position)));
        }
        answerRejected(rejected);
    }

    /**
     * After a transaction that certainly did not commit and whose writer was not deposed (aborted because a
     * rebalance began, for example), its HTTP writes are tried again from scratch in the next loop, after
     * the group has settled: an aborted transaction never happened, so this is safe for conditional writes
     * too. Ingest records are re-read from the rewound consumer instead. Writes of a deposed or fenced
     * owner, writes that keep failing, and writes whose outcome is unknown fail.
     */
    private void retryOrFail(List<PendingWrite> batch, WriteFailedException error) {
        long deadline = settings.deliveryTimeout().toNanos();
        for (PendingWrite pending : batch) {
            if (pending.source() != null) {
                continue;
            }
            boolean retry = !error.outcomeUnknown() && !error.deposed() && pending.attempts() < MAX_ATTEMPTS
                    && System.nanoTime() - pending.enqueuedNanos() < deadline;
            if (retry) {
                retries.add(pending.retried());
            } else if (pending.result().completeExceptionally(error)) {
                failedWrites.increment();
            }
        }
    }

    /**
     * Whether a write with an idempotency key is a retry of one already written (by this owner, by a
     * previous owner as the log shows, or earlier in this very batch); if so it is answered with the first
     * outcome and writes nothing.
     */
    private boolean answeredBefore(PendingWrite pending, TopicPartition tp, Map<String, PendingWrite> firstWithKey, long now) {
        WriteRequest request = pending.request();
        byte[] key = idempotencyBytes(request);
        IdempotentOutcome outcome = recent.outcome(tp, key);
        if (outcome == null) {
            outcome = state.previousOutcome(request.namespace(), tp.partition(), key);
        }
        if (outcome != null && outcome.answers(request.key(), now, settings.idempotencyWindow().toMillis())) {
            pending.result().complete(new WriteOutcome(outcome.version(), new LogPosition(tp.partition(), outcome.position())));
            return true;
        }
        PendingWrite first = firstWithKey.putIfAbsent(tp + "/" + request.idempotencyKey(), pending);
        if (first != null) {
            first.result().whenComplete((result, error) -> {
                if (error != null) {
                    pending.result().completeExceptionally(error);
                } else {
                    pending.result().complete(result);
                }
            });
            return true;
        }
        return false;
    }

    private static byte[] idempotencyBytes(WriteRequest request) {
        return request.idempotencyKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private Version currentVersion(TopicPartition tp, WriteRequest request, RecentWrites.Entry inBatch, long now) {
        if (inBatch != null) {
            return inBatch.liveVersion(now);
        }
        RecentWrites.Entry mine = recent.get(tp, request.key());
        if (mine != null) {
            return mine.liveVersion(now);
        }
        return state.currentVersion(request.namespace(), tp.partition(), request.key());
    }

    private void answerRejected(List<Rejected> rejected) {
        for (Rejected r : rejected) {
            preconditionFailures.increment();
            r.pending().result().completeExceptionally(new PreconditionFailedException(r.current()));
        }
    }

    private void pruneRecent() {
        for (TopicPartition tp : recent.partitions()) {
            NamespaceName ns = NamespaceName.ofTopic(tp.topic());
            recent.prune(tp, ns == null ? Long.MAX_VALUE : state.appliedPosition(ns, tp.partition()));
        }
    }

    /** Moves writes parked for partitions that have now caught up into the batch. */
    private void releaseCaughtUp(List<PendingWrite> batch) {
        long now = System.nanoTime();
        for (Ownership ownership : owned.values()) {
            if (ownership.caughtUp) {
                batch.addAll(ownership.parked);
                ownership.parked.clear();
            } else if (now - ownership.assignedAtNanos > settings.catchUpTimeout().toNanos() && !ownership.parked.isEmpty()) {
                fail(ownership.parked, new WriteFailedException("the new owner is still catching up with the partition", null, false));
                ownership.parked.clear();
            }
        }
    }

    private void fail(List<PendingWrite> writes, WriteFailedException error) {
        for (PendingWrite pending : writes) {
            if (pending.result().completeExceptionally(error)) {
                failedWrites.increment();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        stalled = false;
        wakeUp();
        Thread thread = loop;
        if (thread == null) {
            transactions.close();
            return;
        }
        try {
            thread.join(settings.deliveryTimeout().toMillis() + 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reacts to the group's decisions, inside {@code poll()} on the owner's thread, between transactions. */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            release(partitions, "revoked");
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            release(partitions, "lost");
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition ingestPartition : partitions) {
                NamespaceName ns = NamespaceName.ofTopic(ingestPartition.topic());
                if (ns == null) {
                    continue;
                }
                // position() fetches committed offsets with require_stable: it returns only once the
                // previous owner's last transaction is committed or aborted (KIP-447).
                ingest.assigned(ingestPartition, stablePosition(ingestPartition));
                TopicPartition tp = new TopicPartition(ns.truthTopic(), ingestPartition.partition());
                Ownership ownership = new Ownership(System.nanoTime());
                owned.put(tp, ownership);
                transactions.committedEnd(tp)
                        .thenCompose(end -> state.awaitApplied(ns, tp.partition(), end, settings.catchUpTimeout()))
                        .whenComplete((caughtUp, error) -> commands.add(() -> {
                            if (owned.get(tp) == ownership) {
                                if (Boolean.TRUE.equals(caughtUp)) {
                                    ownership.caughtUp = true;
                                    publishOwned();
                                    log.info("event=partition_owned partition={} catch_up_ms={}", tp,
                                            (System.nanoTime() - ownership.assignedAtNanos) / 1_000_000);
                                } else {
                                    log.warn("event=catch_up_failed partition={} error={}", tp, error == null ? "timeout" : error.toString());
                                    consumer.enforceRebalance("could not catch up with " + tp);
                                }
                            }
                        }));
            }
        }

        /** The committed position, waiting through wake-ups (a write arriving must not lose an assignment). */
        private long stablePosition(TopicPartition ingestPartition) {
            while (true) {
                try {
                    return consumer.position(ingestPartition, settings.maxPollInterval());
                } catch (WakeupException e) {
                    // a write was queued meanwhile; it waits for this assignment anyway
                }
            }
        }

        private void release(Collection<TopicPartition> partitions, String why) {
            for (TopicPartition ingestPartition : partitions) {
                NamespaceName ns = NamespaceName.ofTopic(ingestPartition.topic());
                if (ns == null) {
                    continue;
                }
                TopicPartition tp = new TopicPartition(ns.truthTopic(), ingestPartition.partition());
                Ownership ownership = owned.remove(tp);
                recent.forget(tp);
                if (ownership != null) {
                    ownership.parked.forEach(p -> p.result().completeExceptionally(new NotOwnerException(tp)));
                    log.info("event=partition_released partition={} reason={}", tp, why);
                }
            }
            ingest.released(partitions);
            publishOwned();
        }
    }

    private void publishOwned() {
        Set<TopicPartition> ready = new HashSet<>();
        owned.forEach((tp, ownership) -> {
            if (ownership.caughtUp) {
                ready.add(tp);
            }
        });
        ownedSnapshot = Set.copyOf(ready);
    }

    /** One owned partition: whether it has caught up, and the writes waiting until it has. */
    private static final class Ownership {
        final long assignedAtNanos;
        final List<PendingWrite> parked = new ArrayList<>();
        volatile boolean caughtUp;

        Ownership(long assignedAtNanos) {
            this.assignedAtNanos = assignedAtNanos;
        }
    }

    /**
     * A write waiting for a transaction: from HTTP ({@code source} null) or from an ingest topic
     * ({@code request} null when the ingest record is malformed).
     */
    record PendingWrite(WriteRequest request, IngestRecords.IngestSource source, CompletableFuture<WriteOutcome> result,
                        long enqueuedNanos, int attempts) {

        PendingWrite(WriteRequest request, IngestRecords.IngestSource source, CompletableFuture<WriteOutcome> result,
                     long enqueuedNanos) {
            this(request, source, result, enqueuedNanos, 1);
        }

        PendingWrite retried() {
            return new PendingWrite(request, source, result, enqueuedNanos, attempts + 1);
        }

        TopicPartition truthPartition() {
            if (request != null) {
                return new TopicPartition(request.namespace().truthTopic(), request.partition());
            }
            NamespaceName ns = NamespaceName.ofTopic(source.record().topic());
            return new TopicPartition(ns == null ? source.record().topic() : ns.truthTopic(), source.record().partition());
        }

        long bytes() {
            return request == null ? 0 : request.key().length + (request.value() == null ? 0 : request.value().length);
        }
    }

    private record Accepted(PendingWrite pending, TopicPartition tp, Version version) {
    }

    private record Rejected(PendingWrite pending, Version current) {
    }
}
