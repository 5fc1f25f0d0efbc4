package io.logkv.writer;

import io.logkv.core.HybridClock;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.LogPosition;
import io.logkv.core.NamespaceName;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
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
    private final OwnedPartitions partitions;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile Thread loop;
    private final Timer commitTimer;
    private final DistributionSummary batchRecords;
    private final Counter failedWrites;
    private final Counter preconditionFailures;
    private final ExecutorService answerPool = Executors.newFixedThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "logkv-write-answers");
        thread.setDaemon(true);
        return thread;
    });
    /** Completes writers' futures off the owner thread; runs them in place once the pool is shut down. */
    private final Executor answers = command -> {
        try {
            answerPool.execute(command);
        } catch (RejectedExecutionException e) {
            command.run();
        }
    };
    private volatile boolean running = true;
    private volatile boolean stalled;
    private volatile String advertisedUrl;
    private Set<String> subscribed = Set.of();
    /** Writes in the last committed transaction, and writes that queued while it committed (owner thread only). */
    private int lastCommittedBatch;
    private int queuedDuringLastCommit;

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
        this.partitions = new OwnedPartitions(settings, () -> consumer, transactions, state, ingest, recent, commands);
        meters.gauge("logkv.writer.owned.partitions", partitions, owned -> owned.ready().size());
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
        // Whatever the caller chains on the answer (building the HTTP response) runs on the answer pool,
        // not on the owner thread, which goes straight back to batching the next transaction.
        CompletableFuture<WriteOutcome> answer = new CompletableFuture<>();
        pending.result().whenCompleteAsync((outcome, error) -> {
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(outcome);
            }
        }, answers);
        if (!queue.offer(pending)) {
            throw new WriterOverloadedException("more than " + settings.maxPendingWrites() + " writes are waiting");
        }
        groupConsumer.wakeup();
        return answer;
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
                    consumer.subscribe(topics, partitions);
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

    /** The truth partitions the writers' group has given this node, caught up with or not. */
    public Set<TopicPartition> assigned() {
        return partitions.assigned();
    }

    /** The truth partitions this node owns and has caught up with (so accepts writes for). */
    public Set<TopicPartition> owned() {
        return partitions.ready();
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
                    partitions.releaseCaughtUp(batch, this::fail);
                    List<PendingWrite> again = new ArrayList<>(retries);
                    retries.clear();
                    again.forEach(pending -> partitions.admit(pending, batch));
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        partitions.admit(ingest.toWrite(record), batch);
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
            rest.addAll(partitions.parked());
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
    /**
     * Fills the batch from the queue. With one transaction in flight, the writers the last commit answered
     * send again a moment after the next batch was drained, so closed-loop clients would split into two
     * cohorts taking turns. So while the batch holds fewer writes than the last commit answered plus those
     * that queued during it, the owner waits up to the commit linger for the answered writers to return.
     * A lone client (nothing queued, one write answered) never waits.
     */
    private void gather(List<PendingWrite> batch) throws InterruptedException {
        long bytes = batch.stream().mapToLong(PendingWrite::bytes).sum();
        long lingerUntil = System.nanoTime() + settings.commitLinger().toNanos();
        while (batch.size() < settings.maxBatchRecords() && bytes < settings.maxBatchBytes()) {
            PendingWrite next = queue.poll();
            if (next == null) {
                long left = lingerUntil - System.nanoTime();
                if (batch.isEmpty() || batch.size() >= lastCommittedBatch + queuedDuringLastCommit || left <= 0
                        || (next = queue.poll(left, TimeUnit.NANOSECONDS)) == null) {
                    return;
                }
            }
            if (partitions.admit(next, batch)) {
                bytes += next.bytes();
            }
        }
    }

    private void process(List<PendingWrite> batch) {
        long now = System.currentTimeMillis();
        BatchPlan plan = BatchPlan.decide(batch, recent, state, ingest, clock, writerId, settings.idempotencyWindow(), now);
        List<BatchPlan.Accepted> accepted = plan.accepted();
        List<BatchPlan.Rejected> rejected = plan.rejected();
        List<ProducerRecord<byte[], byte[]>> deadLetters = plan.deadLetters();
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
        lastCommittedBatch = accepted.size();
        queuedDuringLastCommit = queue.size();
        for (int i = 0; i < accepted.size(); i++) {
            BatchPlan.Accepted a = accepted.get(i);
            long position = stored.get(i) + 1;
            WriteRequest request = a.pending().request();
            recent.put(a.tp(), request.key(), new RecentWrites.Entry(a.version(), request.isDelete(), request.expiresAtMs(), position));
            if (request.idempotencyKey() != null) {
                recent.putOutcome(a.tp(), BatchPlan.idempotencyBytes(request), new IdempotentOutcome(a.version(), position, now, request.key()));
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

    private void answerRejected(List<BatchPlan.Rejected> rejected) {
        for (BatchPlan.Rejected r : rejected) {
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
            answerPool.shutdown();
            return;
        }
        try {
            thread.join(settings.deliveryTimeout().toMillis() + 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        answerPool.shutdown();
    }
}
