package io.logkv.materializer;

import io.logkv.core.NamespaceName;
import io.logkv.core.NodeTime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas this node holds, by truth partition, with the applier's consumer assigned to exactly them:
 * registering an opened store, closing a replica, and where each starts applying. Read from any thread;
 * changed on the applier's polling thread only (in commands), which alone touches the consumer.
 */
final class HeldReplicas {

    private static final Logger log = LoggerFactory.getLogger(HeldReplicas.class);

    private final ReplicaSettings settings;
    private final StoreResources resources;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, PartitionReplica> replicas = new ConcurrentHashMap<>();
    private final AtomicInteger waiters;
    private final ReplicaDigests digests;
    private final ReplicaRebuilds rebuilds;
    private final NodeTime time;

    /**
     * @param waiters reads waiting on any replica of the node (bounded by {@code settings.maxWaiters()})
     * @param time    the clock the stores record their commits by, and a replica's lag is observed by
     */
    HeldReplicas(ReplicaSettings settings, StoreResources resources, KafkaConsumer<byte[], byte[]> consumer, AtomicInteger waiters,
                 ReplicaDigests digests, ReplicaRebuilds rebuilds, NodeTime time) {
        this.settings = settings;
        this.resources = resources;
        this.consumer = consumer;
        this.waiters = waiters;
        this.digests = digests;
        this.rebuilds = rebuilds;
        this.time = time;
    }

    /** The replicas by partition (a live view, for the applier). */
    Map<TopicPartition, PartitionReplica> byPartition() {
        return replicas;
    }

    PartitionReplica get(TopicPartition tp) {
        return replicas.get(tp);
    }

    boolean holds(TopicPartition tp) {
        return replicas.containsKey(tp);
    }

    /** What every store on the node shares. */
    StoreResources resources() {
        return resources;
    }

    /** The replicas of a namespace, by partition. */
    List<PartitionReplica> of(NamespaceName namespace) {
        return replicas.values().stream()
                .filter(r -> r.namespace().equals(namespace))
                .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
                .toList();
    }

    /** Whether every replica is within {@code maxLagRecords} of the log's committed end. */
    boolean allWithin(long maxLagRecords) {
        return replicas.values().stream().allMatch(r -> r.lagRecords() >= 0 && r.lagRecords() <= maxLagRecords);
    }

    /** Where the store of a partition's replica lives. */
    Path storeDirectory(TopicPartition tp) {
        return settings.dataDir().resolve("replicas").resolve(tp.topic() + "-" + tp.partition());
    }

    /** Opens (or creates) the store of a partition and holds its replica; not yet assigned ({@link #assignAdded}). */
    PartitionReplica openStore(TopicPartition tp, String origin) {
        return register(tp, PartitionStore.open(storeDirectory(tp), resources, time), origin);
    }

    /** Holds the replica of an opened store. */
    PartitionReplica register(TopicPartition tp, PartitionStore store, String origin) {
        PartitionReplica replica = new PartitionReplica(NamespaceName.ofTopic(tp.topic()), tp.partition(), store, waiters,
                settings.maxWaiters());
        replica.origin(origin);
        replicas.put(tp, replica);
        return replica;
    }

    /** Stops holding a partition's replica and closes it (deleting its store with {@code destroy}); its digests and rebuild fail. */
    void close(TopicPartition tp, boolean destroy) {
        PartitionReplica replica = replicas.remove(tp);
        if (replica != null) {
            replica.close(destroy);
        }
        digests.closed(tp);
        rebuilds.closed(tp);
    }

    /** Stops holding a partition's replica: closes it and deletes its store. */
    void release(TopicPartition tp) {
        close(tp, true);
        log.info("event=replica_released partition={}", tp);
    }

    /** Closes and deletes the replicas of a namespace. */
    void drop(NamespaceName namespace) {
        List<TopicPartition> removed = replicas.keySet().stream().filter(tp -> tp.topic().equals(namespace.truthTopic())).toList();
        removed.forEach(tp -> close(tp, true));
        assignAll();
    }

    /** Closes every replica (keeping their stores), when the applier stops. */
    void closeAll() {
        replicas.values().forEach(r -> r.close(false));
        replicas.clear();
    }

    /** Assigns the consumer to exactly the replicas held. */
    void assignAll() {
        consumer.assign(List.copyOf(replicas.keySet()));
    }

    /** Assigns the consumer to every replica held and seeks newly opened ones to where they resume. */
    void assignAdded(List<TopicPartition> added) {
        if (added.isEmpty()) {
            return;
        }
        assignAll();
        for (TopicPartition tp : added) {
            long from = replicas.get(tp).resumedFrom();
            consumer.seek(tp, from);
            log.info("event=replica_opened partition={} resume_position={}", tp, from);
        }
        observeInitialLag(added);
    }

    /** Has the consumer read a partition again from its start. */
    void replayFromStart(TopicPartition tp) {
        consumer.seek(tp, 0);
    }

    /**
     * Learns how far behind newly opened replicas are before their first fetch answers, so that a node
     * does not report itself unready merely because a namespace was just created (its replicas are empty
     * and so is the log). Best effort: if Kafka does not answer quickly, the first fetch will tell.
     */
    private void observeInitialLag(List<TopicPartition> added) {
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(added, Duration.ofSeconds(2));
            long now = time.nowMs();
            ends.forEach((tp, end) -> {
                PartitionReplica replica = replicas.get(tp);
                replica.openedAgainst(end);
                replica.observeLag(Math.max(0, end - replica.resumedFrom()), now);
            });
        } catch (org.apache.kafka.common.errors.TimeoutException | WakeupException e) {
            log.debug("event=initial_lag_unknown partitions={}", added.size());
        }
    }

    /** The committed end of a partition's log, asked on the applier's polling thread (a pending wake-up is retried). */
    long endOffset(TopicPartition tp) {
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
}
