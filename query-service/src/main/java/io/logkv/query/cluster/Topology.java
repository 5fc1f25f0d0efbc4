package io.logkv.query.cluster;

import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.peer.Peers;
import io.logkv.writer.OwnerDirectory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * Where a namespace's partitions live across the cluster: the owner and replicas of each partition, as
 * the placement names them, with each replica's position and lag as its node reports it (a node that
 * does not answer within a second is shown as unreachable).
 */
@Component
public class Topology {

    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(1);

    private final ClusterReplicas cluster;
    private final OwnerDirectory directory;
    private final NodeReplicaReport local;
    private final Peers peers;
    private final ObjectMapper json;

    public Topology(ClusterReplicas cluster, OwnerDirectory directory, NodeReplicaReport local, Peers peers, ObjectMapper json) {
        this.cluster = cluster;
        this.directory = directory;
        this.local = local;
        this.peers = peers;
        this.json = json;
    }

    /** Every partition of the namespace with its owner and replicas. */
    public CompletableFuture<List<PartitionTopology>> of(ServedNamespace namespace) {
        int partitions = namespace.settings().partitions();
        Set<String> nodes = new LinkedHashSet<>();
        for (int p = 0; p < partitions; p++) {
            nodes.addAll(cluster.placement().replicasOf(namespace.name(), p));
        }
        Map<String, CompletableFuture<NodeReplicaReport.NodeReplicas>> reports = new HashMap<>();
        nodes.forEach(node -> reports.put(node, report(node)));
        OwnerDirectory.GroupView view = directory.lastStableView();
        return CompletableFuture.allOf(reports.values().toArray(CompletableFuture[]::new)).handle((done, ignored) -> {
            List<PartitionTopology> all = new ArrayList<>(partitions);
            for (int p = 0; p < partitions; p++) {
                List<ReplicaTopology> replicas = new ArrayList<>();
                for (String node : cluster.placement().replicasOf(namespace.name(), p)) {
                    replicas.add(replicaOn(node, reports.get(node), namespace, p));
                }
                all.add(new PartitionTopology(p, view.ownerOf(namespace.name(), p).orElse(null), replicas));
            }
            return all;
        });
    }

    private CompletableFuture<NodeReplicaReport.NodeReplicas> report(String node) {
        if (node.equals(cluster.self())) {
            return CompletableFuture.completedFuture(local.report());
        }
        return peers.send(node, new ForwardedRequest("GET", "/v1/admin/replicas", Map.of(), null, null), ASK_TIMEOUT)
                .thenApply(response -> {
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException(node + " answered " + response.statusCode());
                    }
                    return json.readValue(response.body(), NodeReplicaReport.NodeReplicas.class);
                });
    }

    private static ReplicaTopology replicaOn(String node, CompletableFuture<NodeReplicaReport.NodeReplicas> report,
                                             ServedNamespace namespace, int partition) {
        if (report == null || report.isCompletedExceptionally() || !report.isDone()) {
            return new ReplicaTopology(node, null, "unreachable");
        }
        return report.join().replicas().stream()
                .filter(r -> r.namespace().equals(namespace.name().value()) && r.partition() == partition)
                .findFirst()
                .map(r -> new ReplicaTopology(node, r, null))
                .orElse(new ReplicaTopology(node, null, "opening"));
    }

    /**
     * One partition across the cluster.
     *
     * @param partition the partition
     * @param owner     the URL of the node that writes it, or null while ownership moves
     * @param replicas  the nodes placed to hold it, owner first
     */
    public record PartitionTopology(int partition, String owner, List<ReplicaTopology> replicas) {
    }

    /**
     * One placed replica.
     *
     * @param node  the node's URL
     * @param state its position, lag and whether it serves, as the node reports it; null when unknown
     * @param error why the state is unknown ({@code unreachable}, or {@code opening} while the node has not opened it yet)
     */
    public record ReplicaTopology(String node, NodeReplicaReport.ReplicaState state, String error) {
    }
}
