package io.logkv.query.cluster;

import io.logkv.core.DaemonThreads;
import io.logkv.core.NamespaceName;
import io.logkv.materializer.LocalReplicas;
import io.logkv.writer.OwnerDirectory;
import io.logkv.writer.OwnerDirectory.GroupView;
import io.logkv.writer.PartitionOwner;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node holding the replicas the placement gives it. Every {@code placement-refresh} (and at
 * once when namespaces change) it reads the writers' group, computes the {@link ReplicaPlacement}, and
 * makes the local replicas match: the node's placed partitions, plus those it owns as writer. A replica
 * that leaves the placement is kept for {@code release-delay} more, so the node that takes it over can
 * catch up while this one still serves it.
 */
public final class ClusterReplicas implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterReplicas.class);

    private final OwnerDirectory directory;
    private final LocalReplicas replicas;
    private final PartitionOwner owner;
    private final int copies;
    private final Duration refreshEvery;
    private final Duration releaseDelay;
    private final Duration callTimeout;
    private final ScheduledExecutorService scheduler;
    /** When each partition this node holds or should hold was last wanted (placement thread only). */
    private final Map<TopicPartition, Long> lastWantedNanos = new HashMap<>();
    private volatile ReplicaPlacement placement = ReplicaPlacement.empty();
    private volatile String self;
    private volatile Supplier<Map<NamespaceName, Integer>> served = Map::of;
    private volatile boolean placed;

    public ClusterReplicas(OwnerDirectory directory, LocalReplicas replicas, PartitionOwner owner, int copies,
                           Duration refreshEvery, Duration releaseDelay, Duration callTimeout) {
        if (copies < 1) {
            throw new IllegalArgumentException("logkv.replicas.copies must be at least 1, not " + copies);
        }
        this.directory = directory;
        this.replicas = replicas;
        this.owner = owner;
        this.copies = copies;
        this.refreshEvery = refreshEvery;
        this.releaseDelay = releaseDelay;
        this.callTimeout = callTimeout;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("logkv-placement"));
    }

    /**
     * Starts placing replicas once this node is reachable at {@code selfUrl}.
     *
     * @param servedNamespaces the partition count of every namespace this node serves
     */
    public void start(String selfUrl, Supplier<Map<NamespaceName, Integer>> servedNamespaces) {
        this.self = selfUrl;
        this.served = servedNamespaces;
        scheduler.scheduleWithFixedDelay(this::refresh, 0, refreshEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Re-reads the group and re-places replicas now (namespaces changed). */
    public void refreshSoon() {
        if (self != null && !scheduler.isShutdown()) {
            scheduler.execute(this::refresh);
        }
    }

    /** The placement as last computed. */
    public ReplicaPlacement placement() {
        return placement;
    }

    /** This node's URL, or null before {@link #start}. */
    public String self() {
        return self;
    }

    /** Whether the node has placed its replicas at least once (until then it is not ready). */
    public boolean placed() {
        return placed;
    }

    private void refresh() {
        try {
            GroupView view = directory.stableView(true).get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            Map<NamespaceName, Integer> namespaces = served.get();
            ReplicaPlacement next = ReplicaPlacement.of(view, self, namespaces, copies);
            placement = next;
            Set<TopicPartition> keep = keep(next, namespaces);
            if (!keep.equals(replicas.held())) {
                replicas.hold(keep).get(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            placed = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("event=placement_failed error=\"{}\"", e.toString());
        }
    }

    /** The partitions to hold: placed or owned here now, or within the release delay of having been. */
    private Set<TopicPartition> keep(ReplicaPlacement next, Map<NamespaceName, Integer> namespaces) {
        long now = System.nanoTime();
        Set<TopicPartition> wanted = new HashSet<>(next.partitionsOf(self));
        owner.assigned().forEach(tp -> {
            NamespaceName namespace = NamespaceName.ofTopic(tp.topic());
            if (namespace != null && namespaces.containsKey(namespace)) {
                wanted.add(tp);
            }
        });
        wanted.forEach(tp -> lastWantedNanos.put(tp, now));
        replicas.held().forEach(tp -> lastWantedNanos.putIfAbsent(tp, now));
        lastWantedNanos.entrySet().removeIf(entry -> {
            NamespaceName namespace = NamespaceName.ofTopic(entry.getKey().topic());
            return namespace == null || !namespaces.containsKey(namespace)
                    || now - entry.getValue() > releaseDelay.toNanos();
        });
        return Set.copyOf(lastWantedNanos.keySet());
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
