package io.logkv.query.api;

import io.logkv.core.ProblemTypes;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.RebuildProgress;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.cluster.NodeReplicaReport;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.AsyncFailures;
import io.logkv.query.rebuild.NodeSnapshots;
import io.logkv.writer.PartitionOwner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /v1/admin}: this node's replicas: which it holds and how they stand, and wiping and rebuilding
 * them, from the log or from a snapshot and the log after it (with progress).
 */
@RestController
@RequestMapping("/v1/admin")
public class ReplicasController {

    private final NamespaceResolver namespaces;
    private final LocalReplicas replicas;
    private final PartitionOwner owner;
    private final NodeSnapshots snapshots;
    private final NodeReplicaReport report;

    public ReplicasController(NamespaceResolver namespaces, LocalReplicas replicas, PartitionOwner owner, NodeSnapshots snapshots,
                              NodeReplicaReport report) {
        this.namespaces = namespaces;
        this.replicas = replicas;
        this.owner = owner;
        this.snapshots = snapshots;
        this.report = report;
    }

    /** This node's replicas and rebuilds. */
    @GetMapping("/replicas")
    public NodeReplicaReport.NodeReplicas nodeReplicas() {
        return report.report();
    }

    @GetMapping("/rebuilds")
    public Map<String, List<RebuildProgress.Status>> rebuilds() {
        return Map.of("rebuilds", rebuildStatuses());
    }

    /**
     * Wipes this node's replica of one partition and rebuilds it, from the log ({@code from=log}, the
     * default) or from the newest usable snapshot and the log after it ({@code from=snapshot}); answers at
     * once with its progress.
     */
    @PostMapping("/namespaces/{ns}/partitions/{partition}/rebuild")
    public CompletableFuture<ResponseEntity<RebuildProgress.Status>> rebuild(@PathVariable String ns, @PathVariable String partition,
                                                                             @RequestParam(required = false) String from) {
        ServedNamespace namespace = namespaces.resolve(ns);
        int p = AdminRequests.partition(namespace, partition);
        boolean fromSnapshot = fromSnapshot(from);
        refuseIfOwned(namespace, p);
        return replicas.rebuild(namespace.name(), p, fromSnapshot)
                .thenApply(progress -> ResponseEntity.status(HttpStatus.ACCEPTED)
                        .header("Location", "/v1/admin/rebuilds").body(progress.status()))
                .exceptionally(error -> {
                    throw AdminRequests.asProblem(AsyncFailures.cause(error), namespace, p);
                });
    }

    /** Rebuilds every replica of the namespace this node holds, except those of partitions it owns as writer. */
    @PostMapping("/namespaces/{ns}/rebuild")
    public CompletableFuture<ResponseEntity<Map<String, Object>>> rebuildAll(@PathVariable String ns,
                                                                            @RequestParam(required = false) String from) {
        ServedNamespace namespace = namespaces.resolve(ns);
        boolean fromSnapshot = fromSnapshot(from);
        List<CompletableFuture<RebuildProgress>> started = new ArrayList<>();
        List<Integer> skipped = new ArrayList<>();
        for (PartitionReplica replica : replicas.replicas(namespace.name())) {
            if (ownsHere(namespace, replica.partition())) {
                skipped.add(replica.partition());
            } else {
                started.add(replicas.rebuild(namespace.name(), replica.partition(), fromSnapshot));
            }
        }
        return CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).thenApply(done -> ResponseEntity
                .status(HttpStatus.ACCEPTED).header("Location", "/v1/admin/rebuilds")
                .body(Map.of("rebuilds", started.stream().map(f -> f.join().status()).toList(),
                        "skippedOwnedPartitions", skipped)));
    }

    private boolean fromSnapshot(String from) {
        if (from == null || from.equals("log")) {
            return false;
        }
        if (from.equals("snapshot")) {
            if (snapshots.snapshots().isEmpty()) {
                throw new ApiProblem(HttpStatus.CONFLICT, ProblemTypes.NO_SNAPSHOT_STORE, "No snapshot store",
                        "this node has no snapshot store (logkv.snapshots.store); rebuild from the log");
            }
            return true;
        }
        throw ApiProblem.badRequest(ProblemTypes.BAD_REBUILD_SOURCE, "from must be log or snapshot");
    }

    private void refuseIfOwned(ServedNamespace namespace, int partition) {
        if (ownsHere(namespace, partition)) {
            throw new ApiProblem(HttpStatus.CONFLICT, ProblemTypes.PARTITION_OWNED_HERE, "Partition owned here",
                    "this node owns " + namespace.name() + "-" + partition + " as its writer and checks conditions against this "
                            + "replica; rebuild another replica, or stop this node so that ownership moves first");
        }
    }

    private boolean ownsHere(ServedNamespace namespace, int partition) {
        return owner.assigned().contains(namespace.name().truthPartition(partition));
    }

    private List<RebuildProgress.Status> rebuildStatuses() {
        return replicas.rebuilds().stream().map(RebuildProgress::status).toList();
    }
}
