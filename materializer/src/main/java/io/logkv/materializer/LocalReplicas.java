package io.logkv.materializer;

import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partition replicas this node holds: which it holds (opening, seeding, releasing and rebuilding
 * them), where each is, and the way in for everything done to them. The log is applied to them by one
 * thread, {@link ReplicaApplier}; what a record does to a store is {@link RecordsToStore}; digests at exact
 * positions are {@link ReplicaDigests}; rebuilds and their progress {@link ReplicaRebuilds}; seeding from
 * snapshots {@link ReplicaSeeding}. Everything that changes the set of replicas runs as a command on the
 * applying thread, between two polls.
 */
public final class LocalReplicas implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalReplicas.class);

    private final ReplicaSettings settings;
    private final StoreResources resources;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, PartitionReplica> replicas = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final ReplicaRebuilds rebuilds;
    private final ReplicaDigests digests = new ReplicaDigests();
    private final ReplicaSeeding seeding = new ReplicaSeeding();
    private final AtomicInteger waiters = new AtomicInteger();
    private final Thread applier;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    public LocalReplicas(ReplicaSettings settings, MeterRegistry meters) {
        this.settings = settings;
        this.rebuilds = new ReplicaRebuilds(meters);
        this.resources = new StoreResources(settings.blockCacheBytes(), settings.writeBufferBytes(), settings.minBlobBytes());
        this.consumer = new KafkaConsumer<>(consumerConfig(settings), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Counter appliedRecords = Counter.builder("logkv.replica.applied").description("Log records applied to replicas").register(meters);
        Counter malformedRecords = Counter.builder("logkv.replica.malformed")
                .description("Log records skipped because they are not envelopes").register(meters);
        meters.gauge("logkv.replica.waiting", waiters);
        meters.gauge("logkv.replica.block.cache.bytes", resources, StoreResources::blockCacheUsage);
        ReplicaApplier loop = new ReplicaApplier(consumer, replicas, commands, new RecordsToStore(malformedRecords), digests, rebuilds,
                appliedRecords, () -> running, error -> failure = error, this::closeAll);
        this.applier = DaemonThreads.start("logkv-replica-applier", loop);
    }

    /**
     * Starts replicating every partition of a namespace, resuming each from its persisted position.
     * Completes once the partitions are assigned (not once they have caught up).
     */
    public CompletableFuture<Void> replicate(NamespaceName namespace, int partitions) {
        return submit(() -> {
            List<TopicPartition> added = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                TopicPartition tp = new TopicPartition(namespace.truthTopic(), p);
                if (!replicas.containsKey(tp) && !seeding.inProgress(tp) && openReplica(tp) != null) {
                    added.add(tp);
                }
            }
            reassign(added);
        });
    }

    /** Opens this node's replica of one partition if it holds none (a partition the node has just come to own). */
    public CompletableFuture<Void> ensure(NamespaceName namespace, int partition) {
        TopicPartition tp = new TopicPartition(namespace.truthTopic(), partition);
        return submit(() -> {
            if (!replicas.containsKey(tp) && !seeding.inProgress(tp) && openReplica(tp) != null) {
                reassign(List.of(tp));
            }
        });
    }

    /** The truth partitions this node holds a replica of. */
    public Set<TopicPartition> held() {
        return Set.copyOf(replicas.keySet());
    }

    /**
     * Makes this node hold exactly the replicas of {@code wanted} (truth partitions): opens the missing
     * ones, resuming each from its persisted position, and closes and deletes the others. A replica
     * released here is deleted because a store left behind would resume later from a position whose
     * tombstones the log may have compacted away meanwhile.
     */
    public CompletableFuture<Void> hold(Set<TopicPartition> wanted) {
        return submit(() -> {
            List<TopicPartition> added = new ArrayList<>();
            for (TopicPartition tp : wanted) {
                if (!replicas.containsKey(tp) && !seeding.inProgress(tp) && NamespaceName.ofTopic(tp.topic()) != null
                        && openReplica(tp) != null) {
                    added.add(tp);
                }
            }
            seeding.keepOnly(wanted);
            List<TopicPartition> released = replicas.keySet().stream().filter(tp -> !wanted.contains(tp)).toList();
            for (TopicPartition tp : released) {
                closeReplica(tp, true);
                log.info("event=replica_released partition={}", tp);
            }
            if (!released.isEmpty() && added.isEmpty()) {
                consumer.assign(List.copyOf(replicas.keySet()));
            }
            reassign(added);
        });
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
        TopicPartition tp = new TopicPartition(namespace.truthTopic(), partition);
        CompletableFuture<RebuildProgress> started = new CompletableFuture<>();
        submit(() -> {
            if (!replicas.containsKey(tp)) {
                throw new ReplicaUnavailableException("this node holds no replica of " + tp);
            }
            RebuildProgress running = rebuilds.running(tp);
            if (running != null) {
                started.complete(running);
                return;
            }
            long end = endOffset(tp);
            closeReplica(tp, true);
            RebuildProgress progress = rebuilds.start(tp, end);
            log.info("event=rebuild_started partition={} target_position={} from={}", tp, end, fromSnapshot ? "snapshot" : "log");
            if (fromSnapshot) {
                consumer.assign(List.copyOf(replicas.keySet()));
                startSeeding(tp, fresh -> fresh.openedAgainst(end));
            } else {
                PartitionReplica fresh = openStore(tp, "rebuilt by full replay");
                consumer.assign(List.copyOf(replicas.keySet()));
                consumer.seek(tp, 0);
                fresh.openedAgainst(end);
            }
            started.complete(progress);
        }).whenComplete((ignored, error) -> {
            if (error != null) {
                started.completeExceptionally(error);
            }
        });
        return started;
    }

    /** The committed end of a partition's log, asked on the applying thread (a pending wake-up is retried). */
    private long endOffset(TopicPartition tp) {
        for (int attempt = 0; ; attempt++) {
            try {
                return consumer.endOffsets(List.of(tp), Duration.ofSeconds(10)).getOrDefault(tp, 0L);
            } catch (WakeupException e) {
                if (attempt >= 10) {
                    throw new ReplicaUnavailableException("could not learn the end of " + tp + " from Kafka");
                }
            }
        }
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
        TopicPartition tp = new TopicPartition(namespace.truthTopic(), partition);
        CompletableFuture<ReplicaDigest> digest = new CompletableFuture<>();
        submit(() -> {
            PartitionReplica replica = replicas.get(tp);
            if (replica == null) {
                throw new ReplicaUnavailableException("this node holds no replica of " + tp);
            }
            digests.ask(tp, replica, position, digest);
        }).whenComplete((ignored, error) -> {
            if (error != null) {
                digest.completeExceptionally(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error);
            }
        });
        return digest.orTimeout(Math.max(1, maxWait.toMillis()), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Stops applying the log to one replica (fault injection: a replica that falls behind). */
    public CompletableFuture<Void> pause(NamespaceName namespace, int partition) {
        return submit(() -> consumer.pause(List.of(new TopicPartition(namespace.truthTopic(), partition))));
    }

    /**
     * Drops entries of a replica's expiry index that their values have outlived (the key was rewritten or
     * deleted since), checking each again on the applying thread, where no write can slip in between.
     *
     * @return how many entries were dropped
     */
    public CompletableFuture<Integer> forgetOutlivedExpiries(NamespaceName namespace, int partition,
                                                             List<PartitionStore.ExpiryEntry> entries) {
        AtomicInteger dropped = new AtomicInteger();
        return submit(() -> {
            PartitionReplica replica = replicas.get(new TopicPartition(namespace.truthTopic(), partition));
            if (replica == null) {
                return;
            }
            try (PartitionStore.Batch changes = replica.store().newBatch()) {
                for (PartitionStore.ExpiryEntry entry : entries) {
                    RecordEnvelope value = replica.read(entry.key());
                    if (value == null || value.expiresAtMs() != entry.expiresAtMs()) {
                        changes.forgetExpiry(entry.expiresAtMs(), entry.key());
                        dropped.incrementAndGet();
                    }
                }
                changes.commitWithoutPosition();
            }
        }).thenApply(done -> dropped.get());
    }

    /** Resumes applying the log to a replica paused with {@link #pause}. */
    public CompletableFuture<Void> resume(NamespaceName namespace, int partition) {
        return submit(() -> consumer.resume(List.of(new TopicPartition(namespace.truthTopic(), partition))));
    }

    /**
     * Opens this node's replica of a partition, resuming its store; or, when the replica has to start from
     * nothing and seeds are configured, starts seeding its store and returns null (the replica opens, and
     * joins the applying, when seeding is done).
     */
    private PartitionReplica openReplica(TopicPartition tp) {
        java.nio.file.Path directory = storeDirectory(tp);
        boolean fresh = !java.nio.file.Files.exists(directory);
        String origin = fresh ? "new here" : "resumed";
        if (!fresh) {
            PartitionStore store = PartitionStore.open(directory, resources);
            long idleMs = System.currentTimeMillis() - store.persistedAppliedAtMs();
            if (store.persistedPosition() > 0 && idleMs > settings.maxResumeAge().toMillis()) {
                // Compaction may have removed tombstones of keys this store still holds: start again.
                log.warn("event=replica_too_old_wiped partition={} idle_hours={} resume_position={}", tp, idleMs / 3_600_000,
                        store.persistedPosition());
                store.destroy();
                fresh = true;
                origin = "too old to resume (" + idleMs / 3_600_000 + " h idle)";
            } else if (store.persistedPosition() > 0 && seeding.reseedsStoresBehind()) {
                // A newer snapshot far enough ahead beats replaying the tail; the store stays until one is in place.
                long position = store.persistedPosition();
                store.close();
                startReseeding(tp, position);
                return null;
            } else {
                return register(tp, store, store.persistedPosition() > 0 ? "resumed at " + store.persistedPosition() : "new here");
            }
        }
        if (seeding.configured()) {
            startSeeding(tp, replica -> { });
            return null;
        }
        return openStore(tp, origin + ": full replay");
    }

    private PartitionReplica openStore(TopicPartition tp, String origin) {
        return register(tp, PartitionStore.open(storeDirectory(tp), resources), origin);
    }

    private PartitionReplica register(TopicPartition tp, PartitionStore store, String origin) {
        PartitionReplica replica = new PartitionReplica(NamespaceName.ofTopic(tp.topic()), tp.partition(), store, waiters, settings.maxWaiters());
        replica.origin(origin);
        replicas.put(tp, replica);
        return replica;
    }

    /**
     * Seeds a partition's (absent) store, then, on the applying thread, opens the replica from whatever the
     * directory holds (the seed, or nothing: a full replay) and starts applying the log after it. A
     * partition released meanwhile is not opened, and its seed is deleted.
     */
    private void startSeeding(TopicPartition tp, java.util.function.Consumer<PartitionReplica> opened) {
        java.nio.file.Path directory = storeDirectory(tp);
        seeding.start(tp, directory, 0, result -> {
            String origin = result.seeded() ? "snapshot: " + result.detail() : "full replay: " + result.detail();
            submit(() -> {
                if (replicas.containsKey(tp)) {
                    return;
                }
                if (!seeding.finish(tp)) {
                    PartitionStore.deleteRecursively(directory); // released while it was being seeded
                    return;
                }
                PartitionReplica replica = openStore(tp, origin);
                reassign(List.of(tp));
                opened.accept(replica);
            });
        });
    }

    /**
     * Offers the store of a partition, at {@code position}, a seed far enough ahead of it. The seed goes to a
     * directory beside the store and replaces it only once it is complete and checked; without one the store
     * resumes where it was. Either way the replica opens on the applying thread.
     */
    private void startReseeding(TopicPartition tp, long position) {
        java.nio.file.Path directory = storeDirectory(tp);
        java.nio.file.Path seedDirectory = directory.resolveSibling(directory.getFileName() + ".seed");
        PartitionStore.deleteRecursively(seedDirectory);
        seeding.start(tp, seedDirectory, position, result -> submit(() -> {
            if (replicas.containsKey(tp)) {
                PartitionStore.deleteRecursively(seedDirectory);
                return;
            }
            if (!seeding.finish(tp)) {
                // Released while it was being seeded: gone, as a released replica's store is.
                PartitionStore.deleteRecursively(seedDirectory);
                PartitionStore.deleteRecursively(directory);
                return;
            }
            String origin = "resumed at " + position;
            if (result.seeded()) {
                try {
                    PartitionStore.deleteRecursively(directory);
                    java.nio.file.Files.move(seedDirectory, directory, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    origin = "snapshot, " + (result.position() - position) + " records ahead of the store at " + position + ": "
                            + result.detail();
                    log.info("event=replica_reseeded partition={} from_position={} to_position={}", tp, position, result.position());
                } catch (java.io.IOException e) {
                    // The old store is gone: the replica replays the whole log, which is slow but right.
                    log.warn("event=replica_reseed_failed partition={} error=\"{}\"", tp, e.getMessage());
                    PartitionStore.deleteRecursively(seedDirectory);
                    PartitionStore.deleteRecursively(directory);
                    origin = "full replay: a seed could not replace the store (" + e.getMessage() + ")";
                }
            }
            openStore(tp, origin);
            reassign(List.of(tp));
        }));
    }

    private void closeReplica(TopicPartition tp, boolean destroy) {
        PartitionReplica replica = replicas.remove(tp);
        if (replica != null) {
            replica.close(destroy);
        }
        digests.closed(tp);
        rebuilds.closed(tp);
    }

    /** Assigns the consumer to every replica held and seeks newly opened ones to where they resume. */
    private void reassign(List<TopicPartition> added) {
        if (added.isEmpty()) {
            return;
        }
        consumer.assign(List.copyOf(replicas.keySet()));
        for (TopicPartition tp : added) {
            long from = replicas.get(tp).resumedFrom();
            consumer.seek(tp, from);
            log.info("event=replica_opened partition={} resume_position={}", tp, from);
        }
        observeInitialLag(added);
    }

    /**
     * Learns how far behind newly opened replicas are before their first fetch answers, so that a node
     * does not report itself unready merely because a namespace was just created (its replicas are empty
     * and so is the log). Best effort: if Kafka does not answer quickly, the first fetch will tell.
     */
    private void observeInitialLag(List<TopicPartition> added) {
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(added, Duration.ofSeconds(2));
            long now = System.currentTimeMillis();
            ends.forEach((tp, end) -> {
                PartitionReplica replica = replicas.get(tp);
                replica.openedAgainst(end);
                replica.observeLag(Math.max(0, end - replica.resumedFrom()), now);
            });
        } catch (org.apache.kafka.common.errors.TimeoutException | WakeupException e) {
            log.debug("event=initial_lag_unknown partitions={}", added.size());
        }
    }

    /** Stops replicating a namespace and deletes its stores. */
    public CompletableFuture<Void> drop(NamespaceName namespace) {
        return submit(() -> {
            List<TopicPartition> removed = replicas.keySet().stream()
                    .filter(tp -> tp.topic().equals(namespace.truthTopic())).toList();
            removed.forEach(tp -> closeReplica(tp, true));
            consumer.assign(List.copyOf(replicas.keySet()));
        });
    }

    /** This node's replica of a partition, or null when it holds none. */
    public PartitionReplica replica(NamespaceName namespace, int partition) {
        return replicas.get(new TopicPartition(namespace.truthTopic(), partition));
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
        return io.logkv.core.Timers.delay(Duration.ofMillis(step)).thenCompose(ignored -> awaitReplica(namespace, partition, maxWait.minusMillis(step)));
    }

    /** This node's replicas of a namespace, by partition. */
    public List<PartitionReplica> replicas(NamespaceName namespace) {
        return replicas.values().stream()
                .filter(r -> r.namespace().equals(namespace))
                .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
                .toList();
    }

    /** Whether every replica on this node is within {@code maxLagRecords} of the log's committed end. */
    public boolean caughtUp(long maxLagRecords) {
        return replicas.values().stream().allMatch(r -> r.lagRecords() >= 0 && r.lagRecords() <= maxLagRecords);
    }

    /** Why the applying thread stopped, or null while it runs. A node whose applier failed is not live. */
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
     * Fault injection: the applying thread dies at its next turn, of an error that nothing handles (so no
     * {@link #failure()} is recorded), and the replicas stop following the log. Used to show that the node
     * then stops reporting itself live and ready.
     */
    public void killApplier() {
        commands.add(() -> {
            throw new ApplierKilled();
        });
        consumer.wakeup();
    }

    /** What {@link #killApplier()} throws on the applying thread. */
    private static final class ApplierKilled extends Error {
        ApplierKilled() {
            super("the replica applier was killed by fault injection");
        }
    }

    /** Bytes the shared block cache holds (data, index and filter blocks, and memtables). */
    public long blockCacheUsage() {
        return resources.blockCacheUsage();
    }

    private CompletableFuture<Void> submit(Runnable command) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (!running) {
            done.completeExceptionally(new ReplicaUnavailableException("replicas are closed"));
            return done;
        }
        commands.add(() -> {
            try {
                command.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        consumer.wakeup();
        return done;
    }

    /** Runs on the applying thread when it ends: closes every replica, the consumer and the stores' resources. */
    private void closeAll() {
        replicas.values().forEach(r -> r.close(false));
        replicas.clear();
        consumer.close(Duration.ofSeconds(5));
        digests.shutdown();
        seeding.shutdown();
        resources.close();
    }

    private java.nio.file.Path storeDirectory(TopicPartition tp) {
        return settings.dataDir().resolve("replicas").resolve(tp.topic() + "-" + tp.partition());
    }

    private static Properties consumerConfig(ReplicaSettings settings) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.clientId());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, settings.maxPollRecords());
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024);
        props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        return props;
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
