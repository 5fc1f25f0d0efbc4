package io.logkv.writer;

import io.logkv.core.DaemonThreads;
import io.logkv.core.HybridClock;
import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;

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
 * <p>The group loop ({@link WritersGroupLoop}) only polls: it never waits for a transaction, so a busy node
 * keeps its membership. Transactions of different partitions commit in parallel on a bounded pool; within a partition,
 * concurrent writes share transactions (group commit).
 */
public final class PartitionOwner implements AutoCloseable {

    private final OwnerSettings settings;
    /** The clocks this owner and its writers read. */
    private final NodeTime time;
    private final AtomicInteger pendingWrites = new AtomicInteger();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final ExecutorService commitPool;
    private final ScheduledExecutorService timer;
    private final ExecutorService answerPool = Executors.newFixedThreadPool(2, DaemonThreads.numbered("logkv-write-answers"));
    /** Completes writers' futures off the commit threads; runs them in place once the pool is shut down. */
    private final Executor answers = command -> {
        try {
            answerPool.execute(command);
        } catch (RejectedExecutionException e) {
            command.run();
        }
    };
    private final PartitionEnds ends;
    private final OwnerFaults faults;
    private final WritersGroupLoop groupLoop;
    private final OwnedPartitions partitions;
    private volatile boolean running = true;
    private volatile String advertisedUrl;

    public PartitionOwner(OwnerSettings settings, StateLookup state, IngestRecords ingest, HybridClock clock,
                          int writerId, MeterRegistry meters) {
        this(settings, state, ingest, clock, writerId, meters, NamespaceHomes.everywhere(), HomeLeases.none(), NodeTime.SYSTEM);
    }

    /**
     * A node's writers.
     *
     * @param homes  whether this region still takes a namespace's writes: every new owner asks after fencing
     *               the earlier writers of its partition, and does not write a namespace whose home moved
     * @param leases whether this node may acknowledge a namespace's writes now: every batch asks before it is sent
     *               and again before its writes are answered
     * @param time   the clocks the owner and its writers read
     */
    public PartitionOwner(OwnerSettings settings, StateLookup state, IngestRecords ingest, HybridClock clock,
                          int writerId, MeterRegistry meters, NamespaceHomes homes, HomeLeases leases, NodeTime time) {
        this.settings = settings;
        this.time = time;
        this.commitPool = Executors.newFixedThreadPool(settings.commitThreads(), DaemonThreads.numbered("logkv-commit"));
        this.timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.numbered("logkv-writer-timer"));
        this.ends = new PartitionEnds(settings);
        this.faults = new OwnerFaults(() -> running);
        this.groupLoop = new WritersGroupLoop(settings, ingest, () -> running, faults::holdWhileStalled);
        WriterServices services = new WriterServices(settings, state, ingest, clock, writerId, commitPool, timer, ends,
                groupLoop::run, new WriterMeters(meters), tp -> AlternatingCommits.of(settings, tp, faults::beforeCommit), time, homes,
                leases);
        this.partitions = new OwnedPartitions(services, groupLoop::consumer);
        Gauge.builder("logkv.writer.pending", pendingWrites, AtomicInteger::get)
                .description("Writes waiting for a transaction on this node").register(meters);
        Gauge.builder("logkv.writer.pending.bytes", pendingBytes, AtomicLong::get).baseUnit("bytes")
                .description("Bytes of keys and values waiting for a transaction on this node").register(meters);
        Gauge.builder("logkv.writer.owned.partitions", partitions, owned -> owned.ready().size())
                .description("Partitions this node owns and writes").register(meters);
    }

    /**
     * Joins the writers' group as a node reachable at {@code advertisedUrl} (known only once the HTTP
     * server listens) and starts the group loop. Until then every write answers {@link NotOwnerException}.
     */
    public synchronized void start(String advertisedUrl) {
        if (groupLoop.started()) {
            return;
        }
        this.advertisedUrl = advertisedUrl;
        groupLoop.start(advertisedUrl, partitions);
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
        long now = time.nanoTime();
        long ownDeadline = now + settings.deliveryTimeout().toNanos();
        long deadline = callerDeadlineNanos - ownDeadline < 0 ? callerDeadlineNanos : ownDeadline;
        PendingWrite pending = new PendingWrite(request, null, new CompletableFuture<>(), deadline);
        PartitionWriter writer = groupLoop.consumer() == null ? null : partitions.writer(pending.truthPartition());
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
        long bytes = request.heldBytes();
        long before = pendingBytes.getAndAdd(bytes);
        if (before > 0 && before + bytes > settings.maxPendingBytes()) {
            pendingBytes.addAndGet(-bytes);
            pendingWrites.decrementAndGet();
            throw new WriterOverloadedException("writes of " + before + " bytes are waiting; " + bytes + " more would pass "
                    + settings.maxPendingBytes());
        }
        // Whatever the caller chains on the answer (building the HTTP response) runs on the answer pool,
        // not on a commit thread, which goes straight back to its partition's next transaction.
        CompletableFuture<WriteOutcome> answer = new CompletableFuture<>();
        pending.result().whenCompleteAsync((outcome, error) -> {
            pendingWrites.decrementAndGet();
            pendingBytes.addAndGet(-bytes);
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
        groupLoop.follow(namespaces, partitions);
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
        faults.stall();
    }

    public void resume() {
        faults.resume();
    }

    /**
     * Fault injection: the next {@code count} transactions abort after their records were handed to the
     * producer and before their commit, as when a broker fails mid-transaction. Used to show that aborted
     * writes are retried and ingest records re-read without being applied twice.
     */
    public void abortNextTransactions(int count) {
        faults.abortNextTransactions(count);
    }

    /** HTTP writes accepted by this node and not answered yet (limited by {@code max-pending-writes}). */
    public int pendingWrites() {
        return pendingWrites.get();
    }

    /** Injected aborts not yet used. */
    public int injectedAbortsLeft() {
        return faults.injectedAbortsLeft();
    }

    @Override
    public void close() {
        running = false;
        faults.resume();
        groupLoop.wakeUp();
        groupLoop.join(settings.deliveryTimeout().toMillis() + 10_000);
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
