package io.logkv.query.cluster;

import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.RebuildProgress;
import io.logkv.query.config.LogKvProperties;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * What this node holds: its replicas (position, lag, whether each serves, how it got its contents) and its
 * rebuilds. Served at {@code GET /v1/admin/replicas}, and gathered from every node by {@link Topology}.
 */
@Component
public class NodeReplicaReport {

    private final LocalReplicas replicas;
    private final ClusterReplicas cluster;
    private final LogKvProperties props;

    public NodeReplicaReport(LocalReplicas replicas, ClusterReplicas cluster, LogKvProperties props) {
        this.replicas = replicas;
        this.cluster = cluster;
        this.props = props;
    }

    /** This node's replicas and rebuilds. */
    public NodeReplicas report() {
        long now = System.currentTimeMillis();
        List<ReplicaState> held = replicas.held().stream()
                .map(tp -> replicas.replica(io.logkv.core.NamespaceName.ofTopic(tp.topic()), tp.partition()))
                .filter(r -> r != null)
                .sorted((a, b) -> a.namespace().value().equals(b.namespace().value()) ? Integer.compare(a.partition(), b.partition())
                        : a.namespace().value().compareTo(b.namespace().value()))
                .map(r -> ReplicaState.of(r, now)).toList();
        return new NodeReplicas(props.nodeId(), cluster.self(), held, replicas.rebuilds().stream().map(RebuildProgress::status).toList());
    }

    /**
     * This node's replicas.
     *
     * @param node     the node's id
     * @param url      where it is reached
     * @param replicas the replicas it holds
     * @param rebuilds its rebuilds since it started
     */
    public record NodeReplicas(String node, String url, List<ReplicaState> replicas, List<RebuildProgress.Status> rebuilds) {
    }

    /**
     * One replica on this node.
     *
     * @param namespace       the namespace
     * @param partition       the partition
     * @param appliedPosition the log position applied
     * @param lagRecords      committed records not yet applied (-1 while unknown)
     * @param lagMs           how long since it was last caught up (0 when it is, -1 while unknown)
     * @param serving         whether it answers reads (it has caught up since it opened)
     * @param estimatedKeys   keys held, as RocksDB estimates
     * @param origin          how it got its contents when it opened: resumed, seeded from a snapshot, or replayed (and why)
     */
    public record ReplicaState(String namespace, int partition, long appliedPosition, long lagRecords, long lagMs, boolean serving,
                               long estimatedKeys, String origin) {
        static ReplicaState of(PartitionReplica replica, long now) {
            return new ReplicaState(replica.namespace().value(), replica.partition(), replica.appliedPosition(), replica.lagRecords(),
                    replica.lagMillis(now), replica.serving(), replica.estimatedKeys(), replica.origin());
        }
    }
}
