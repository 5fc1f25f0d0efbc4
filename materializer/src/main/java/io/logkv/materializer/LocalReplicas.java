package io.logkv.materializer;

import io.logkv.core.NamespaceName;
import io.logkv.core.IdempotentOutcome;
import io.logkv.core.IngestHeaders;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Tombstones;
import io.logkv.core.Version;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
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
 * The partition replicas this node holds, and the one thread that applies the log to them.
 *
 * <p>The thread reads every assigned partition with a {@code read_committed} consumer, so records of
 * aborted or still-open transactions (a fenced writer's, for instance) never reach a replica. For each
 * partition in a poll it writes the records and the consumer's new position in one RocksDB batch, then
 * wakes the reads waiting for that position.
 */
public final class LocalReplicas implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalReplicas.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    private static final long POSITION_PERSIST_INTERVAL_MS = 5_000;
    private static final long PROGRESS_INTERVAL_MS = 5_000;

    private final ReplicaSettings settings;
    private final StoreResources resources;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, PartitionReplica> replicas = new ConcurrentHashMap<>();
    private final Map<TopicPartition, RebuildProgress> rebuilds = new ConcurrentHashMap<>();
    /** Digests asked for at positions not yet applied, by partition, lowest position first (applier thread only). */
    private final Map<TopicPartition, List<PendingDigest>> pendingDigests = new HashMap<>();
    private final ExecutorService digester;
    private final MeterRegistry meters;
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    /** Partitions whose store is being seeded (a snapshot restore) before the replica opens. */
    private final Set<TopicPartition> seeding = ConcurrentHashMap.newKeySet();
    private final ExecutorService seeder;
    private volatile ReplicaSeeds seeds = ReplicaSeeds.NONE;
    private final AtomicInteger waiters = new AtomicInteger();
    private final Counter appliedRecords;
    private final Counter malformedRecords;
    private final Thread applier;
    private volatile boolean running = true;
    private volatile RuntimeException failure;
    private long lastPersistMs;
    private ReplayProgress progress;

    public LocalReplicas(ReplicaSettings settings, MeterRegistry meters) {
        this.settings = settings;
        this.meters = meters;
        this.digester = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "logkv-replica-digests");
            thread.setDaemon(true);
            return thread;
        });
        this.seeder = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "logkv-replica-seeding");
            thread.setDaemon(true);
            return thread;
        });
        this.resources = new StoreResources(settings.blockCacheBytes(), settings.writeBufferBytes(), settings.minBlobBytes());
        this.consumer = new KafkaConsumer<>(consumerConfig(settings), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.appliedRecords = Counter.builder("logkv.replica.applied").description("Log records applied to replicas").register(meters);
        this.malformedRecords = Counter.builder("logkv.replica.malformed")
                .description("Log records skipped because they are not envelopes").register(meters);
        meters.gauge("logkv.replica.waiting", waiters);
        meters.gauge("logkv.replica.block.cache.bytes", resources, StoreResources::blockCacheUsage);
        this.applier = new Thread(this::run, "logkv-replica-applier");
        this.applier.setDaemon(true);
        this.applier.start();
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
                if (!replicas.containsKey(tp) && !seeding.contains(tp) && openReplica(tp) != null) {
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
            if (!replicas.containsKey(tp) && !seeding.contains(tp) && openReplica(tp) != null) {
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
                if (!replicas.containsKey(tp) && !seeding.contains(tp) && NamespaceName.ofTopic(tp.topic()) != null
                        && openReplica(tp) != null) {
                    added.add(tp);
                }
            }
            seeding.removeIf(tp -> !wanted.contains(tp));
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
        this.seeds = seeds;
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
            RebuildProgress running = rebuilds.get(tp);
            if (running != null && !running.finished()) {
                started.complete(running);
                return;
            }
            long end = endOffset(tp);
            closeReplica(tp, true);
            RebuildProgress progress = new RebuildProgress(namespace, partition, end);
            rebuilds.put(tp, progress);
            registerRebuildGauges(tp);
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
        return rebuilds.values().stream()
                .sorted(java.util.Comparator.comparing((RebuildProgress r) -> r.namespace().value()).thenComparingInt(RebuildProgress::partition))
                .toList();
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
            long applied = replica.appliedPosition();
            if (applied > position) {
                throw new PositionPassedException(tp, position, applied);
            }
            PendingDigest pending = new PendingDigest(position, digest);
            if (applied == position) {
                takeDigest(replica, pending);
                return;
            }
            List<PendingDigest> queue = pendingDigests.computeIfAbsent(tp, k -> new ArrayList<>());
            queue.add(pending);
            queue.sort(java.util.Comparator.comparingLong(PendingDigest::position));
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
            } else {
                return register(tp, store, store.persistedPosition() > 0 ? "resumed at " + store.persistedPosition() : "new here");
            }
        }
        if (seeds != ReplicaSeeds.NONE) {
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
     * Seeds a partition's (absent) store on the seeding thread, then, on the applying thread, opens the
     * replica from whatever the directory holds (the seed, or nothing: a full replay) and starts applying the
     * log after it. A partition released meanwhile is not opened, and its seed is deleted.
     */
    private void startSeeding(TopicPartition tp, java.util.function.Consumer<PartitionReplica> opened) {
        seeding.add(tp);
        NamespaceName namespace = NamespaceName.ofTopic(tp.topic());
        java.nio.file.Path directory = storeDirectory(tp);
        ReplicaSeeds source = seeds;
        seeder.execute(() -> {
            ReplicaSeeds.Seeding result;
            try {
                result = source.seed(namespace, tp.partition(), directory);
            } catch (RuntimeException e) {
                result = ReplicaSeeds.Seeding.notSeeded("seeding failed: " + e.getMessage());
            }
            if (!result.seeded()) {
                PartitionStore.deleteRecursively(directory);
                log.info("event=replica_not_seeded partition={} reason=\"{}\"", tp, result.detail());
            } else {
                log.info("event=replica_seeded partition={} position={} from=\"{}\"", tp, result.position(), result.detail());
            }
            String origin = result.seeded() ? "snapshot: " + result.detail() : "full replay: " + result.detail();
            submit(() -> {
                if (replicas.containsKey(tp)) {
                    return;
                }
                if (!seeding.remove(tp)) {
                    PartitionStore.deleteRecursively(directory); // released while it was being seeded
                    return;
                }
                PartitionReplica replica = openStore(tp, origin);
                reassign(List.of(tp));
                opened.accept(replica);
            });
        });
    }

    private void closeReplica(TopicPartition tp, boolean destroy) {
        PartitionReplica replica = replicas.remove(tp);
        if (replica != null) {
            replica.close(destroy);
        }
        List<PendingDigest> pending = pendingDigests.remove(tp);
        if (pending != null) {
            pending.forEach(d -> d.result().completeExceptionally(new ReplicaUnavailableException(tp + " was closed")));
        }
        RebuildProgress rebuild = rebuilds.get(tp);
        if (rebuild != null && !rebuild.finished()) {
            rebuild.failed("the replica was closed");
        }
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

    private void registerRebuildGauges(TopicPartition tp) {
        io.micrometer.core.instrument.Tags tags = io.micrometer.core.instrument.Tags.of(
                "namespace", NamespaceName.ofTopic(tp.topic()).value(), "partition", Integer.toString(tp.partition()));
        io.micrometer.core.instrument.Gauge.builder("logkv.replica.rebuild.percent", rebuilds,
                        all -> all.containsKey(tp) ? all.get(tp).status().percentDone() : 0)
                .description("How far the latest rebuild of a replica has come").tags(tags).register(meters);
        io.micrometer.core.instrument.Gauge.builder("logkv.replica.rebuild.records", rebuilds,
                        all -> all.containsKey(tp) ? all.get(tp).status().records() : 0)
                .description("Records the latest rebuild of a replica has applied").tags(tags).register(meters);
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
        return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(step, java.util.concurrent.TimeUnit.MILLISECONDS))
                .thenCompose(ignored -> awaitReplica(namespace, partition, maxWait.minusMillis(step)));
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

    private void run() {
        try {
            while (running) {
                runCommands();
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
            failure = e;
            log.error("event=applier_failed", e);
        } finally {
            runCommands();
            replicas.values().forEach(r -> r.close(false));
            replicas.clear();
            consumer.close(Duration.ofSeconds(5));
            digester.shutdown();
            seeder.shutdownNow();
            resources.close();
        }
    }

    private void runCommands() {
        Runnable command;
        while ((command = commands.poll()) != null) {
            command.run();
        }
    }

    private void apply(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            PartitionReplica replica = replicas.get(tp);
            if (replica == null) {
                continue;
            }
            List<ConsumerRecord<byte[], byte[]>> batch = records.records(tp);
            List<PendingDigest> pending = pendingDigests.get(tp);
            int from = 0;
            while (from < batch.size()) {
                // A digest asked for at position P sees every record below P and none above: the batch is
                // cut there, and the snapshot taken between the two parts.
                long cut = pending == null || pending.isEmpty() ? Long.MAX_VALUE : pending.get(0).position();
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
                    takeDueDigests(tp, replica, batch.get(to).offset());
                }
                from = to;
            }
        }
    }

    private void applySegment(TopicPartition tp, PartitionReplica replica, List<ConsumerRecord<byte[], byte[]>> segment, long position) {
        int applied = 0;
        long bytes = 0;
        long ingestPosition = 0;
        try (PartitionStore.Batch changes = replica.store().newBatch()) {
            for (ConsumerRecord<byte[], byte[]> record : segment) {
                if (record.key() == null) {
                    malformedRecords.increment();
                } else if (IngestHeaders.isProgressMarker(record.key())) {
                    ingestPosition = Math.max(ingestPosition, IngestHeaders.progressOf(record.value()));
                } else if (record.value() == null) {
                    changes.delete(record.key());
                    long expiredAt = Tombstones.expiredAtOf(record.headers());
                    if (expiredAt != 0) {
                        changes.forgetExpiry(expiredAt, record.key());
                    }
                    rememberOutcome(changes, record, Tombstones.versionOf(record.headers()));
                    applied++;
                    bytes += record.key().length;
                } else if (isEnvelope(record.value())) {
                    changes.put(record.key(), record.value());
                    rememberOutcome(changes, record, RecordEnvelope.versionOf(record.value()));
                    applied++;
                    bytes += record.key().length + record.value().length;
                } else {
                    malformedRecords.increment();
                    log.warn("event=malformed_record partition={} offset={}", tp, record.offset());
                }
            }
            // The position comes from the records (or the digest cut), not consumer.position(): that call
            // can throw a pending wakeup, and the position must never run ahead of what this batch holds.
            if (ingestPosition > 0) {
                changes.ingestPosition(ingestPosition);
            }
            changes.commit(position);
            replica.applied(position, applied, ingestPosition);
        }
        appliedRecords.increment(applied);
        RebuildProgress rebuild = rebuilds.get(tp);
        if (rebuild != null && !rebuild.finished()) {
            rebuild.applied(position, applied, bytes);
            if (rebuild.finished()) {
                logRebuildDone(tp, rebuild);
            }
        }
    }

    /** Takes the digests due at or below {@code limit}: the replica holds every committed record below each. */
    private void takeDueDigests(TopicPartition tp, PartitionReplica replica, long limit) {
        List<PendingDigest> pending = pendingDigests.get(tp);
        while (pending != null && !pending.isEmpty() && pending.get(0).position() <= limit) {
            takeDigest(replica, pending.remove(0));
        }
        if (pending != null && pending.isEmpty()) {
            pendingDigests.remove(tp);
        }
    }

    private void takeDigest(PartitionReplica replica, PendingDigest pending) {
        if (pending.result().isDone()) {
            return; // timed out meanwhile
        }
        PartitionStore.ContentSnapshot snapshot = replica.store().snapshot();
        digester.execute(() -> {
            try {
                pending.result().complete(replica.digest(snapshot, pending.position()));
            } catch (RuntimeException e) {
                pending.result().completeExceptionally(e);
            }
        });
    }

    private void logRebuildDone(TopicPartition tp, RebuildProgress rebuild) {
        RebuildProgress.Status status = rebuild.status();
        log.info("event=rebuild_done partition={} records={} bytes={} seconds={} records_per_second={} mb_per_second={}",
                tp, status.records(), status.bytes(), status.elapsedMs() / 1000.0, status.recordsPerSecond(), status.megabytesPerSecond());
    }

    private static void rememberOutcome(PartitionStore.Batch changes, ConsumerRecord<byte[], byte[]> record, Version version) {
        byte[] idempotencyKey = IdempotentOutcome.keyOf(record.headers());
        if (idempotencyKey != null && version != null) {
            changes.rememberOutcome(idempotencyKey,
                    new IdempotentOutcome(version, record.offset() + 1, record.timestamp(), record.key()).encode());
        }
    }

    private static boolean isEnvelope(byte[] value) {
        return value.length > 2 && value[0] == RecordEnvelope.MAGIC && value[1] == RecordEnvelope.FORMAT_V1;
    }

    private void observePositions() {
        long now = System.currentTimeMillis();
        boolean persist = now - lastPersistMs >= POSITION_PERSIST_INTERVAL_MS;
        long behind = 0;
        for (Map.Entry<TopicPartition, PartitionReplica> entry : replicas.entrySet()) {
            TopicPartition tp = entry.getKey();
            PartitionReplica replica = entry.getValue();
            long position = consumer.position(tp);
            replica.advancedWithoutRecords(position);
            if (pendingDigests.containsKey(tp)) {
                takeDueDigests(tp, replica, replica.appliedPosition());
            }
            RebuildProgress rebuild = rebuilds.get(tp);
            if (rebuild != null && !rebuild.finished()) {
                rebuild.advancedTo(replica.appliedPosition());
                if (rebuild.finished()) {
                    logRebuildDone(tp, rebuild);
                } else if (System.nanoTime() - rebuild.lastReportNanos >= PROGRESS_INTERVAL_MS * 1_000_000) {
                    RebuildProgress.Status status = rebuild.status();
                    log.info("event=rebuild_progress partition={} done_percent={} records={} records_per_second={} mb_per_second={}",
                            tp, status.percentDone(), status.records(), status.recordsPerSecond(), status.megabytesPerSecond());
                    rebuild.lastReportNanos = System.nanoTime();
                }
            }
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
        reportProgress(behind, now);
    }

    /** Logs replay progress while replicas are far behind (after a wipe or a long stop). */
    private void reportProgress(long behind, long now) {
        if (behind == 0) {
            if (progress != null) {
                log.info("event=replay_done records={} seconds={}", progress.applied(appliedRecords.count()),
                        String.format("%.1f", (now - progress.startedMs) / 1000.0));
                progress = null;
            }
            return;
        }
        if (progress == null) {
            progress = new ReplayProgress(now, appliedRecords.count(), now);
        } else if (now - progress.lastReportMs >= PROGRESS_INTERVAL_MS) {
            double applied = progress.applied(appliedRecords.count());
            double seconds = Math.max(0.001, (now - progress.startedMs) / 1000.0);
            log.info("event=replay_progress applied={} remaining={} records_per_second={} done_percent={}",
                    (long) applied, behind, (long) (applied / seconds),
                    String.format("%.1f", 100.0 * applied / Math.max(1, applied + behind)));
            progress.lastReportMs = now;
        }
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

    private record PendingDigest(long position, CompletableFuture<ReplicaDigest> result) {
    }

    private static final class ReplayProgress {
        final long startedMs;
        final double appliedAtStart;
        long lastReportMs;

        ReplayProgress(long startedMs, double appliedAtStart, long lastReportMs) {
            this.startedMs = startedMs;
            this.appliedAtStart = appliedAtStart;
            this.lastReportMs = lastReportMs;
        }

        double applied(double appliedNow) {
            return appliedNow - appliedAtStart;
        }
    }
}
