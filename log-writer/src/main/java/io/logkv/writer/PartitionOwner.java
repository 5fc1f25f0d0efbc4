package io.logkv.writer;

import io.logkv.core.DaemonThreads;
import io.logkv.core.HybridClock;
import io.logkv.core.NamespaceName;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of the partitions this node owns.
 *
 * <p>Ownership comes from Kafka's consumer group machinery: the node's consumer joins the writers' group
 * subscribed to every namespace's ingest topic, and owning partition <i>p</i> of an ingest topic means
 * owning partition <i>p</i> of the namespace's truth topic. Each owned partition has its own
 * {@link PartitionWriter} with a transactional producer whose id belongs to the partition: a new owner's
 * {@code initTransactions()} fences every earlier writer, so a deposed owner (paused, cut off) cannot make
 * a write visible. The new owner then waits until its replica has applied the partition's end before it
 * checks any condition.
 *
 * <p>The group loop only polls: it never waits for a transaction, so a busy node keeps its membership.
 * Transactions of different partitions commit in parallel on a bounded pool; within a partition,
 * concurrent writes share transactions (group commit).
 */
public final class PartitionOwner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionOwner.class);

    private final OwnerSettings settings;
    private final IngestRecords ingest;
    private final AtomicInteger pendingWrites = new AtomicInteger();
    private final AtomicInteger abortsToInject = new AtomicInteger();
    private final ConcurrentLinkedQueue<Consumer<KafkaConsumer<byte[], byte[]>>> commands = new ConcurrentLinkedQueue<>();
    private final ExecutorService commitPool;
    private final ScheduledExecutorService timer;
    private final ExecutorService answerPool = Executors.newFixedThreadPool(2, daemon("logkv-write-answers"));
    /** Completes writers' futures off the commit threads; runs them in place once the pool is shut down. */
    private final Executor answers = command -> {
        try {
            answerPool.execute(command);
        } catch (RejectedExecutionException e) {
            command.run();
        }
    };
    private final PartitionEnds ends;
    private final OwnedPartitions partitions;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile Thread loop;
    private volatile boolean running = true;
    private volatile boolean stalled;
    private volatile String advertisedUrl;
    private Set<String> subscribed = Set.of();

    public PartitionOwner(OwnerSettings settings, StateLookup state, IngestRecords ingest, HybridClock clock,
                          int writerId, MeterRegistry meters) {
        this.settings = settings;
        this.ingest = ingest;
        this.commitPool = Executors.newFixedThreadPool(settings.commitThreads(), daemon("logkv-commit"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("logkv-writer-timer"));
        this.ends = new PartitionEnds(settings);
        WriterServices services = new WriterServices(settings, state, ingest, clock, writerId, commitPool, timer, ends,
                this::onGroupLoop, new WriterMeters(meters), this::beforeCommit);
        this.partitions = new OwnedPartitions(services, () -> consumer);
        Gauge.builder("logkv.writer.pending", pendingWrites, AtomicInteger::get)
                .description("Writes waiting for a transaction on this node").register(meters);
        Gauge.builder("logkv.writer.owned.partitions", partitions, owned -> owned.ready().size())
                .description("Partitions this node owns and writes").register(meters);
    }

    /**
     * Joins the writers' group as a node reachable at {@code advertisedUrl} (known only once the HTTP
     * server listens) and starts the group loop. Until then every write answers {@link NotOwnerException}.
     */
    public synchronized void start(String advertisedUrl) {
        if (loop != null) {
            return;
        }
        this.advertisedUrl = advertisedUrl;
        consumer = groupConsumer(settings, advertisedUrl);
        loop = DaemonThreads.start("logkv-partition-owner", this::run);
    }

    /**
     * Queues a write for its partition's next transaction.
     *
     * @return completes once the write is committed; exceptionally with {@link NotOwnerException},
     *         {@link PreconditionFailedException} or {@link WriteFailedException}
     * @throws WriterOverloadedException at once, when too many writes are already waiting on this node
     */
    public CompletableFuture<WriteOutcome> submit(WriteRequest request) {
        return submit(request, Long.MAX_VALUE);
    }

    /**
     * Queues a write that its caller waits for only until {@code callerDeadlineNanos} (a
     * {@link System#nanoTime()} value): if its transaction has not been sent by then (or by the delivery
     * timeout, whichever comes first), it is refused unsent, so that a write whose caller has given up is
     * never committed behind its back.
     */
    public CompletableFuture<WriteOutcome> submit(WriteRequest request, long callerDeadlineNanos) {
        long now = System.nanoTime();
        long ownDeadline = now + settings.deliveryTimeout().toNanos();
        long deadline = callerDeadlineNanos - ownDeadline < 0 ? callerDeadlineNanos : ownDeadline;
        PendingWrite pending = new PendingWrite(request, null, new CompletableFuture<>(), deadline);
        PartitionWriter writer = consumer == null ? null : partitions.writer(pending.truthPartition());
        if (writer == null) {
            return CompletableFuture.failedFuture(new NotOwnerException(pending.truthPartition()));
        }
        if (!running) {
            throw new WriterOverloadedException("the writer is shutting down");
        }
        if (pendingWrites.incrementAndGet() > settings.maxPendingWrites()) {
            pendingWrites.decrementAndGet();
            throw new WriterOverloadedException("more than " + settings.maxPendingWrites() + " writes are waiting");
        }
        // Whatever the caller chains on the answer (building the HTTP response) runs on the answer pool,
        // not on a commit thread, which goes straight back to its partition's next transaction.
        CompletableFuture<WriteOutcome> answer = new CompletableFuture<>();
        pending.result().whenCompleteAsync((outcome, error) -> {
            pendingWrites.decrementAndGet();
            if (error != null) {
                answer.completeExceptionally(error);
            } else {
                answer.complete(outcome);
            }
        }, answers);
        writer.offer(pending);
        return answer;
    }

    /** Follows exactly these namespaces: subscribes to their ingest topics, which decides ownership. */
    public void follow(Collection<NamespaceName> namespaces) {
        Set<String> topics = new HashSet<>();
        namespaces.forEach(ns -> topics.add(ns.ingestTopic()));
        onGroupLoop(groupConsumer -> {
            if (!topics.equals(subscribed)) {
                for (String topic : topics) {
                    if (!subscribed.contains(topic)) {
                        // Learn the new topic's metadata first: a group leader that assigns before it knows a
                        // topic leaves its partitions unowned until its next metadata refresh.
                        learnMetadata(groupConsumer, topic);
                    }
                }
                subscribed = Set.copyOf(topics);
                if (topics.isEmpty()) {
                    groupConsumer.unsubscribe();
                } else {
                    groupConsumer.subscribe(topics, partitions);
                }
            }
        });
    }

    private void learnMetadata(KafkaConsumer<byte[], byte[]> groupConsumer, String topic) {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                groupConsumer.partitionsFor(topic, settings.sessionTimeout());
                return;
            } catch (WakeupException e) {
                // a command arrived meanwhile; ask again
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                log.warn("event=topic_metadata_slow topic={}", topic);
                return;
            }
        }
    }

    private void onGroupLoop(Consumer<KafkaConsumer<byte[], byte[]>> command) {
        commands.add(command);
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
     * Fault injection: the node freezes, as in a long GC pause or a SIGSTOP. Writers stop at their most
     * dangerous point, with a batch's records handed to the producer but not committed, and the group loop
     * stops polling, so the group deposes the node after {@code max.poll.interval}. Used to show that a
     * deposed owner's writes never become visible. Ends with {@link #resume()}.
     */
    public void stallBeforeCommit() {
        stalled = true;
    }

    public void resume() {
        stalled = false;
    }

    /**
     * Fault injection: the next {@code count} transactions abort after their records were handed to the
     * producer and before their commit, as when a broker fails mid-transaction. Used to show that aborted
     * writes are retried and ingest records re-read without being applied twice.
     */
    public void abortNextTransactions(int count) {
        abortsToInject.set(count);
    }

    /** HTTP writes accepted by this node and not answered yet (limited by {@code max-pending-writes}). */
    public int pendingWrites() {
        return pendingWrites.get();
    }

    /** Injected aborts not yet used. */
    public int injectedAbortsLeft() {
        return Math.max(0, abortsToInject.get());
    }

    private void beforeCommit() {
        holdWhileStalled();
        if (abortsToInject.get() > 0 && abortsToInject.getAndDecrement() > 0) {
            throw new org.apache.kafka.common.KafkaException("injected abort (fault injection)");
        }
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
        try {
            while (running) {
                try {
                    runCommands();
                    holdWhileStalled();
                    if (subscribed.isEmpty()) {
                        Thread.sleep(50);
                        continue;
                    }
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        offerIngest(record);
                    }
                    partitions.adjustFetching(consumer);
                    partitions.tick(consumer);
                } catch (WakeupException e) {
                    // a command is waiting
                } catch (RuntimeException e) {
                    // The loop must outlive any one failure: a node that leaves the group is worse than a failed poll.
                    log.error("event=owner_loop_error", e);
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            partitions.releaseAll();
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void offerIngest(ConsumerRecord<byte[], byte[]> record) {
        NamespaceName ns = NamespaceName.ofTopic(record.topic());
        PartitionWriter writer = ns == null ? null : partitions.writer(new TopicPartition(ns.truthTopic(), record.partition()));
        if (writer != null) {
            writer.offer(ingest.toWrite(record, writer.feedEpoch()));
        }
    }

    private void runCommands() {
        Consumer<KafkaConsumer<byte[], byte[]>> command;
        while ((command = commands.poll()) != null) {
            command.accept(consumer);
        }
    }

    /** The consumer that joins the writers' group; its assignment is this node's ownership. */
    static KafkaConsumer<byte[], byte[]> groupConsumer(OwnerSettings settings, String advertisedUrl) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, OwnerDirectory.clientIdFor(advertisedUrl));
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        // Cooperative: a rebalance moves only the partitions that change owner; the others keep writing.
        // Safe because fencing is by each partition's transactional id, not by the group's generation.
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, settings.sessionTimeout().toMillis() / 4));
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) settings.maxPollInterval().toMillis());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(1, settings.maxBatchRecords()));
        // The group leader re-balances when its metadata shows a subscribed topic it had not seen; refresh
        // often, so a new namespace is owned within seconds even if the leader assigned before knowing it.
        props.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        running = false;
        stalled = false;
        KafkaConsumer<byte[], byte[]> groupConsumer = consumer;
        if (groupConsumer != null) {
            groupConsumer.wakeup();
        }
        Thread thread = loop;
        if (thread != null) {
            try {
                thread.join(settings.deliveryTimeout().toMillis() + 10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        commitPool.shutdown();
        try {
            commitPool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
        answerPool.shutdown();
        ends.close();
    }
}
