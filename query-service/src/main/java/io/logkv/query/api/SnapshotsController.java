package io.logkv.query.api;

import io.logkv.compactor.snapshot.ReplicaSnapshots;
import io.logkv.compactor.snapshot.SnapshotManifest;
import io.logkv.core.ProblemTypes;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.rebuild.NodeSnapshots;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /v1/admin/namespaces/{ns}/snapshots}: the snapshots of a namespace's replicas in the node's
 * snapshot store, and taking them now (of the partitions this node owns) rather than at the next round.
 */
@RestController
@RequestMapping("/v1/admin/namespaces/{ns}/snapshots")
public class SnapshotsController {

    private final NamespaceResolver namespaces;
    private final NodeSnapshots snapshots;

    public SnapshotsController(NamespaceResolver namespaces, NodeSnapshots snapshots) {
        this.namespaces = namespaces;
        this.snapshots = snapshots;
    }

    /** The snapshots of every partition of the namespace, newest first. */
    @GetMapping
    public NamespaceSnapshots list(@PathVariable String ns) {
        ServedNamespace namespace = namespaces.resolve(ns);
        ReplicaSnapshots store = store();
        List<PartitionSnapshots> partitions = new ArrayList<>();
        for (int p = 0; p < namespace.settings().partitions(); p++) {
            partitions.add(new PartitionSnapshots(p, store.list(namespace.name(), p).stream().map(SnapshotSummary::of).toList()));
        }
        return new NamespaceSnapshots(namespace.name().value(), store.location(), partitions);
    }

    /** Snapshots the replicas of the namespace's partitions this node owns whose position moved since their last snapshot. */
    @PostMapping
    public CompletableFuture<TakenSnapshots> take(@PathVariable String ns) {
        ServedNamespace namespace = namespaces.resolve(ns);
        return store().takeOwnedSoon(namespace.name())
                .thenApply(taken -> new TakenSnapshots(taken.stream().map(SnapshotSummary::of).toList()));
    }

    private ReplicaSnapshots store() {
        return snapshots.snapshots().orElseThrow(() -> new ApiProblem(HttpStatus.CONFLICT, ProblemTypes.NO_SNAPSHOT_STORE, "No snapshot store",
                "this node has no snapshot store (logkv.snapshots.store)"));
    }

    /**
     * @param namespace  the namespace
     * @param store      where the snapshots are kept
     * @param partitions each partition's snapshots
     */
    public record NamespaceSnapshots(String namespace, String store, List<PartitionSnapshots> partitions) {
    }

    /**
     * @param partition the partition
     * @param snapshots its snapshots, newest first
     */
    public record PartitionSnapshots(int partition, List<SnapshotSummary> snapshots) {
    }

    /** @param taken the snapshots stored by this request */
    public record TakenSnapshots(List<SnapshotSummary> taken) {
    }

    /**
     * One snapshot.
     *
     * @param id        its name in the store
     * @param partition the partition
     * @param position  the log position it holds
     * @param digest    its content digest at that position (comparable with replica digests)
     * @param takenAt   when it was taken
     * @param bytes     the size of its files
     */
    public record SnapshotSummary(String id, int partition, long position, String digest, Instant takenAt, long bytes) {
        static SnapshotSummary of(SnapshotManifest manifest) {
            return new SnapshotSummary(manifest.id(), manifest.partition(), manifest.position(), manifest.digest(),
                    Instant.ofEpochMilli(manifest.createdAtMs()), manifest.files().values().stream().mapToLong(Long::longValue).sum());
        }
    }
}
