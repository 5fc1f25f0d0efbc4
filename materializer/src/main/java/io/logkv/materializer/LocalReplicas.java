package io.logkv.materializer;

import io.logkv.core.CommandQueue;
import io.logkv.core.DaemonThreads;
import io.logkv.core.KafkaConnection;
import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import io.logkv.core.Timers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The partition replicas this node holds, and the way in for everything done to them. Which replicas are
 * held is {@link HeldReplicas}, changed by {@link ReplicaHolding}; how one opens (resumed, wiped, seeded)
 * {@link ReplicaOpening}, with seeding from snapshots in {@link ReplicaSeeding}. The log is applied to them by
 * {@link ReplicaApplier} (one thread polls, one applies what {@link PollToReplicas} makes of each poll); what a
 * record does to a store is {@link RecordsToStore}; digests at exact positions are {@link ReplicaDigests};
 * rebuilds and their progress {@link ReplicaRebuilds}. Everything that changes the set of replicas runs as a
 * command on the applier's polling thread, between two polls, once every earlier poll is applied
 * ({@link CommandQueue}).
 */
public final class LocalReplicas implements AutoCloseable {

    private final KafkaConnection kafka;
    private final StoreResources resources;
    private final KafkaConsumer<byte[], byte[]> consumer;
    /** Commands for the applier's polling thread, which alone touches the consumer. */
    private final CommandQueue<org.apache.kafka.clients.consumer.Consumer<byte[], byte[]>> commands;
    private final HeldReplicas held;
    private final ReplicaOpening opening;
    private final ReplicaHolding holding;
    private final ReplicaRebuilds rebuilds;
    private final ReplicaDigests digests = new ReplicaDigests();
    private final ReplicaSeeding seeding = new ReplicaSeeding();
    private final AtomicInteger waiters = new AtomicInteger();
    private final Thread applier;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    public LocalReplicas(ReplicaSettings settings, MeterRegistry meters) {
        this(settings, meters, NodeTime.SYSTEM);
    }

    /** @param time the clock the replicas read (stores' last-applied times, lag, rebuilds' timing) */
    public LocalReplicas(ReplicaSettings settings, MeterRegistry meters, NodeTime time) {
        this.kafka = settings.kafka();
        this.rebuilds = new ReplicaRebuilds(meters, time);
        this.resources = new StoreResources(settings.blockCacheBytes(), settings.writeBufferBytes(), settings.minBlobBytes());
        this.consumer = ReplicaApplier.consumer(settings);
        this.commands = new CommandQueue<>(consumer::wakeup);
        this.held = new HeldReplicas(settings, resources, consumer, waiters, digests, rebuilds, time);
        this.opening = new ReplicaOpening(settings, held, seeding, this::submit, time);
        this.holding = new ReplicaHolding(held, opening, seeding);
        Counter appliedRecords = Counter.builder("logkv.replica.applied").description("Log records applied to replicas").register(meters);
        Counter malformedRecords = Counter.builder("logkv.replica.malformed")
                .description("Log records skipped because they are not envelopes").register(meters);
        meters.gauge("logkv.replica.waiting", waiters);
        meters.gauge("logkv.replica.block.cache.bytes", resources, StoreResources::blockCacheUsage);
        meters.gauge("logkv.replica.file.load.bytes", resources, StoreResources::fileLoadBytes);
        ReplicaApplier loop = new ReplicaApplier(consumer, held.byPartition(), commands, new RecordsToStore(malformedRecords), digests,
                rebuilds, appliedRecords, () -> running, error -> failure = error, this::closeAll, time);
        this.applier = DaemonThreads.start("logkv-replica-applier", loop);
    }

    /**
     * Starts replicating every partition of a namespace, resuming each from its persisted position.
     * Completes once the partitions are assigned (not once they have caught up).
     */
    public CompletableFuture<Void> replicate(NamespaceName namespace, int partitions) {
        return submit(() -> holding.replicate(namespace, partitions));
    }

    /** Opens this node's replica of one partition if it holds none (a partition the node has just come to own). */
    public CompletableFuture<Void> ensure(NamespaceName namespace, int partition) {
        TopicPartition tp = namespace.truthPartition(partition);
        return submit(() -> holding.ensure(tp));
    }

    /** How the replicas reach the Kafka cluster whose truth topics they follow. */
    public KafkaConnection kafka() {
        return kafka;
    }

    /** The truth partitions this node holds a replica of. */
    public Set<TopicPartition> held() {
        return Set.copyOf(held.byPartition().keySet());
    }

    /**
     * Makes this node hold exactly the replicas of {@code wanted} (truth partitions): opens the missing
     * ones, resuming each from its persisted position, and closes and deletes the others. A replica
     * released here is deleted because a store left behind would resume later from a position whose
     * tombstones the log may have compacted away meanwhile.
     */
    public CompletableFuture<Void> hold(Set<TopicPartition> wanted) {
        return submit(() -> holding.hold(wanted));
    }

    /**
     * Lets replicas that start from nothing (new here, wiped, too old to resume) be seeded from a snapshot and
     * replay only the log after it. Set once, before replicas open.
     */
    public void seedFrom(ReplicaSeeds seeds) {
        seeding.use(seeds);
    }

    /**
     * Wipes this node's replica of a partition and replays it from the start of the log, with progress
     * in {@link #rebuilds()}, the logs and the {@code logkv.replica.rebuild.*} gauges. While it replays,
     * the replica does not count as {@linkplain PartitionReplica#serving() serving}.
     */
    public CompletableFuture<RebuildProgress> rebuild(NamespaceName namespace, int partition) {
        return rebuild(namespace, partition, false);
    }

    /**
     * Wipes this node's replica of a partition and rebuilds it: from the start of the log, or, with
     * {@code fromSnapshot}, from the newest usable snapshot and the log after it (a full replay when there is
     * none, saying why in the replica's {@linkplain PartitionReplica#origin() origin}).
     */
    public CompletableFuture<RebuildProgress> rebuild(NamespaceName namespace, int partition, boolean fromSnapshot) {
        TopicPartition tp = namespace.truthPartition(partition);
        return ask(started -> started.complete(rebuilds.rebuild(tp, fromSnapshot, held, opening)));
    }

    /** The rebuilds this node has run since it started (running and finished), latest per partition. */
    public List<RebuildProgress> rebuilds() {
        return rebuilds.all();
    }

    /**
     * The digest of this node's replica of a partition at exactly {@code position}: of every committed
     * record below it, and none above. Waits (without a thread) up to {@code maxWait} for the replica to
     * get there; fails with {@link PositionPassedException} when it is already past it.
     */
    public CompletableFuture<ReplicaDigest> digestAt(NamespaceName namespace, int partition, long position, Duration maxWait) {
        TopicPartition tp = namespace.truthPartition(partition);
        CompletableFuture<ReplicaDigest> digest = ask(answer -> {
            PartitionReplica replica = held.get(tp);
            if (replica == null) {
                throw new ReplicaUnavailableException("this node holds no replica of " + tp);
            }
            digests.ask(tp, replica, position, answer);
        });
        return digest.orTimeout(Math.max(1, maxWait.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** Stops applying the log to one replica (fault injection: a replica that falls behind). */
    public CompletableFuture<Void> pause(NamespaceName namespace, int partition) {
        return submit(() -> consumer.pause(List.of(namespace.truthPartition(partition))));
    }

    /**
     * Drops entries of a replica's expiry index that their values have outlived (the key was rewritten or
     * deleted since), checking each again in a command on the applier's polling thread, where no write can slip in between.
     *
     * @return how many entries were dropped
     */
    public CompletableFuture<Integer> forgetOutlivedExpiries(NamespaceName namespace, int partition,
                                                             List<PartitionStore.ExpiryEntry> entries) {
        AtomicInteger dropped = new AtomicInteger();
        return submit(() -> {
            PartitionReplica replica = held.get(namespace.truthPartition(partition));
            if (replica != null) {
                dropped.set(ExpiryIndex.forgetOutlived(replica, entries));
            }
        }).thenApply(done -> dropped.get());
    }

    /** Resumes applying the log to a replica paused with {@link #pause}. */
    public CompletableFuture<Void> resume(NamespaceName namespace, int partition) {
        return submit(() -> consumer.resume(List.of(namespace.truthPartition(partition))));
    }

    /** Stops replicating a namespace and deletes its stores. */
    public CompletableFuture<Void> drop(NamespaceName namespace) {
        return submit(() -> held.drop(namespace));
    }

    /** This node's replica of a partition, or null when it holds none. */
    public PartitionReplica replica(NamespaceName namespace, int partition) {
        return held.get(namespace.truthPartition(partition));
    }

    /**
     * This node's replica of a partition, waiting up to {@code maxWait} (without a thread) for one that a
     * namespace created a moment ago is still opening; completes with null if none opens in time.
     */
    public CompletableFuture<PartitionReplica> awaitReplica(NamespaceName namespace, int partition, Duration maxWait) {
        PartitionReplica replica = replica(namespace, partition);
        if (replica != null || maxWait.toMillis() <= 0) {
            return CompletableFuture.completedFuture(replica);
        }
        long step = Math.min(20, maxWait.toMillis());
        return Timers.delay(Duration.ofMillis(step)).thenCompose(ignored -> awaitReplica(namespace, partition, maxWait.minusMillis(step)));
    }

    /** This node's replicas of a namespace, by partition. */
    public List<PartitionReplica> replicas(NamespaceName namespace) {
        return held.of(namespace);
    }

    /** Whether every replica on this node is within {@code maxLagRecords} of the log's committed end. */
    public boolean caughtUp(long maxLagRecords) {
        return held.allWithin(maxLagRecords);
    }

    /** Why the applier stopped, or null while it runs. A node whose applier failed is not live. */
    public RuntimeException failure() {
        return failure;
    }

    /**
     * Whether the thread that applies the log is running. It stops when the replicas are {@linkplain #close()
     * closed} or when it dies, whatever killed it: a {@link #failure()} is recorded only for a runtime
     * exception, so this, not {@code failure() == null}, is what says that the replicas still follow the log.
     */
    public boolean applierAlive() {
        return applier.isAlive();
    }

    /**
     * Fault injection: the applier's polling thread dies at its next turn, of an error that nothing handles (so no
     * {@link #failure()} is recorded), and the replicas stop following the log. Used to show that the node
     * then stops reporting itself live and ready.
     */
    public void killApplier() {
        ApplierFaults.kill(commands);
    }

    /** Bytes the shared block cache holds (data, index and filter blocks, and memtables). */
    public long blockCacheUsage() {
        return resources.blockCacheUsage();
    }

    /** Runs {@code command} on the applier's polling thread; fails at once once the replicas are closed. */
    private CompletableFuture<Void> submit(Runnable command) {
        if (!running) {
            return CompletableFuture.failedFuture(new ReplicaUnavailableException("replicas are closed"));
        }
        return commands.submit(ignored -> command.run());
    }

    /** Runs {@code command} on the applier's polling thread; it completes the answer, or its failure does. */
    private <T> CompletableFuture<T> ask(Consumer<CompletableFuture<T>> command) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        submit(() -> command.accept(answer)).whenComplete((ignored, error) -> {
            if (error != null) {
                answer.completeExceptionally(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
            }
        });
        return answer;
    }

    /** Runs on the applier's polling thread when it ends: closes every replica, the consumer and the stores' resources. */
    private void closeAll() {
        held.closeAll();
        consumer.close(Duration.ofSeconds(5));
        digests.shutdown();
        seeding.shutdown();
        resources.close();
    }

    /** Stops applying, persists every replica's position and closes the stores. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            applier.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
