package io.logkv.query.api;

import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.materializer.PositionPassedException;
import io.logkv.materializer.RebuildProgress;
import io.logkv.materializer.ReplicaDigest;
import io.logkv.materializer.ReplicaUnavailableException;
import io.logkv.query.LogKvProperties;
import io.logkv.query.NodeSnapshots;
import io.logkv.query.api.NamespaceResolver.ServedNamespace;
import io.logkv.query.api.Peers.ForwardedRequest;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.writer.PartitionOwner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.TopicPartition;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code /v1/admin}: operating the replicas of this node and of the cluster. Lists this node's replicas,
 * wipes and rebuilds them from the log (with progress), and computes and compares replica digests: the
 * digest of a partition at position P covers every committed record below P, so replicas of one
 * partition agree exactly when their digests at the same P are equal.
 */
@RestController
@RequestMapping("/v1/admin")
public class AdminController {

    private static final int DIGEST_ATTEMPTS = 5;

    private final NamespaceResolver namespaces;
    private final LocalReplicas replicas;
    private final ClusterReplicas cluster;
    private final PartitionOwner owner;
    private final CommittedEnds committedEnds;
    private final Peers peers;
    private final ObjectMapper json;
    private final LogKvProperties props;
    private final NodeSnapshots snapshots;

    public AdminController(NamespaceResolver namespaces, LocalReplicas replicas, ClusterReplicas cluster, PartitionOwner owner,
                           CommittedEnds committedEnds, Peers peers, ObjectMapper json, LogKvProperties props, NodeSnapshots snapshots) {
        this.snapshots = snapshots;
        this.namespaces = namespaces;
        this.replicas = replicas;
        this.cluster = cluster;
        this.owner = owner;
        this.committedEnds = committedEnds;
        this.peers = peers;
        this.json = json;
        this.props = props;
    }

    /** This node's replicas and rebuilds. */
    @GetMapping("/replicas")
    public NodeReplicas nodeReplicas() {
        long now = System.currentTimeMillis();
        List<ReplicaState> held = replicas.held().stream()
                .map(tp -> replicas.replica(io.logkv.core.NamespaceName.ofTopic(tp.topic()), tp.partition()))
                .filter(r -> r != null)
                .sorted((a, b) -> a.namespace().value().equals(b.namespace().value()) ? Integer.compare(a.partition(), b.partition())
                        : a.namespace().value().compareTo(b.namespace().value()))
                .map(r -> ReplicaState.of(r, now)).toList();
        return new NodeReplicas(props.nodeId(), cluster.self(), held, rebuildStatuses());
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
        int p = partition(namespace, partition);
        boolean fromSnapshot = fromSnapshot(from);
        refuseIfOwned(namespace, p);
        return replicas.rebuild(namespace.name(), p, fromSnapshot)
                .thenApply(progress -> ResponseEntity.status(HttpStatus.ACCEPTED)
                        .header("Location", "/v1/admin/rebuilds").body(progress.status()))
                .exceptionally(error -> {
                    throw asProblem(AsyncFailures.cause(error), namespace, p);
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

    /**
     * This node's digest of a partition at {@code position} (default: the partition's committed end now),
     * waiting up to {@code wait_ms} for the replica to get there.
     */
    @GetMapping("/namespaces/{ns}/partitions/{partition}/digest")
    public CompletableFuture<ReplicaDigest> digest(@PathVariable String ns, @PathVariable String partition,
                                                   @RequestParam(required = false) String position,
                                                   @RequestParam(name = "wait_ms", required = false) String waitMs) {
        ServedNamespace namespace = namespaces.resolve(ns);
        int p = partition(namespace, partition);
        Duration wait = WaitBound.of(waitMs, props.replicas());
        CompletableFuture<Long> at = position != null ? CompletableFuture.completedFuture(position(position))
                : committedEnds.of(new TopicPartition(namespace.name().truthTopic(), p));
        return at.thenCompose(target -> replicas.digestAt(namespace.name(), p, target, wait))
                .exceptionally(error -> {
                    throw asProblem(AsyncFailures.cause(error), namespace, p);
                });
    }

    /** Compares the digests of every replica of one partition at one position. */
    @GetMapping("/namespaces/{ns}/partitions/{partition}/digests")
    public CompletableFuture<PartitionComparison> compare(@PathVariable String ns, @PathVariable String partition,
                                                          @RequestParam(name = "wait_ms", required = false) String waitMs) {
        ServedNamespace namespace = namespaces.resolve(ns);
        return compare(namespace, partition(namespace, partition), WaitBound.of(waitMs, props.replicas()), 1);
    }

    /** Compares the digests of the replicas of every partition of a namespace. */
    @GetMapping("/namespaces/{ns}/digests")
    public CompletableFuture<NamespaceComparison> compareAll(@PathVariable String ns,
                                                             @RequestParam(name = "wait_ms", required = false) String waitMs) {
        ServedNamespace namespace = namespaces.resolve(ns);
        Duration wait = WaitBound.of(waitMs, props.replicas());
        List<CompletableFuture<PartitionComparison>> partitions = new ArrayList<>();
        for (int p = 0; p < namespace.settings().partitions(); p++) {
            partitions.add(compare(namespace, p, wait, 1));
        }
        return CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<PartitionComparison> all = partitions.stream().map(CompletableFuture::join).toList();
            String status = all.stream().anyMatch(c -> c.status().equals("disagree")) ? "disagree"
                    : all.stream().allMatch(c -> c.status().equals("agree")) ? "agree" : "incomplete";
            return new NamespaceComparison(namespace.name().value(), status, all);
        });
    }

    private CompletableFuture<PartitionComparison> compare(ServedNamespace namespace, int partition, Duration wait, int attempt) {
        Set<String> holders = new LinkedHashSet<>(cluster.placement().replicasOf(namespace.name(), partition));
        if (replicas.replica(namespace.name(), partition) != null && cluster.self() != null) {
            holders.add(cluster.self());
        }
        return committedEnds.of(new TopicPartition(namespace.name().truthTopic(), partition)).thenCompose(position -> {
            List<CompletableFuture<ReplicaAnswer>> answers = holders.stream()
                    .map(node -> digestFrom(node, namespace, partition, position, wait)).toList();
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenCompose(done -> {
                List<ReplicaAnswer> all = answers.stream().map(CompletableFuture::join).toList();
                boolean passed = all.stream().anyMatch(a -> a.error() != null && a.error().startsWith("position-passed"));
                if (passed && attempt < DIGEST_ATTEMPTS) {
                    // A replica moved past the position between choosing it and asking: choose again.
                    return compare(namespace, partition, wait, attempt + 1);
                }
                return CompletableFuture.completedFuture(PartitionComparison.of(partition, position, all));
            });
        });
    }

    private CompletableFuture<ReplicaAnswer> digestFrom(String node, ServedNamespace namespace, int partition, long position, Duration wait) {
        String path = "/v1/admin/namespaces/" + namespace.name().value() + "/partitions/" + partition + "/digest?position=" + position
                + "&wait_ms=" + wait.toMillis();
        if (node.equals(cluster.self())) {
            return replicas.digestAt(namespace.name(), partition, position, wait)
                    .handle((digest, error) -> error == null ? new ReplicaAnswer(node, digest.sha256(), null)
                            : new ReplicaAnswer(node, null, describe(AsyncFailures.cause(error))));
        }
        return peers.send(node, new ForwardedRequest("GET", path, Map.of(), null, null), wait.plus(props.replicas().forwardTimeout()))
                .handle((response, error) -> {
                    if (error != null) {
                        return new ReplicaAnswer(node, null, "unreachable: " + AsyncFailures.cause(error).getMessage());
                    }
                    if (response.statusCode() != 200) {
                        ApiProblem problem = ApiProblem.fromPeer(response.statusCode(), response.body(), java.util.Optional.empty(), json);
                        return new ReplicaAnswer(node, null, problem.type() + ": " + problem.getMessage());
                    }
                    return new ReplicaAnswer(node, json.readValue(response.body(), ReplicaDigest.class).sha256(), null);
                });
    }

    private static String describe(Throwable error) {
        if (error instanceof PositionPassedException) {
            return "position-passed: " + error.getMessage();
        }
        if (error instanceof TimeoutException) {
            return "not-caught-up: the replica did not reach the position in time";
        }
        return "replica-unavailable: " + error.getMessage();
    }

    private ApiProblem asProblem(Throwable error, ServedNamespace namespace, int partition) {
        if (error instanceof ApiProblem problem) {
            return problem;
        }
        if (error instanceof PositionPassedException passed) {
            return new ApiProblem(HttpStatus.CONFLICT, "position-passed", "Position passed", passed.getMessage());
        }
        if (error instanceof TimeoutException) {
            return ApiProblem.unavailable("not-caught-up", "Replica not caught up",
                    "the replica of " + namespace.name() + "-" + partition + " did not reach the position in time", Duration.ofSeconds(1));
        }
        if (error instanceof ReplicaUnavailableException) {
            return ApiProblem.unavailable(ReadRouting.NO_REPLICA_PROBLEM, "No replica here", error.getMessage(), Duration.ofSeconds(1));
        }
        throw error instanceof RuntimeException runtime ? runtime : new CompletionException(error);
    }

    private boolean fromSnapshot(String from) {
        if (from == null || from.equals("log")) {
            return false;
        }
        if (from.equals("snapshot")) {
            if (snapshots.snapshots().isEmpty()) {
                throw new ApiProblem(HttpStatus.CONFLICT, "no-snapshot-store", "No snapshot store",
                        "this node has no snapshot store (logkv.snapshots.store); rebuild from the log");
            }
            return true;
        }
        throw ApiProblem.badRequest("bad-rebuild-source", "from must be log or snapshot");
    }

    private void refuseIfOwned(ServedNamespace namespace, int partition) {
        if (ownsHere(namespace, partition)) {
            throw new ApiProblem(HttpStatus.CONFLICT, "partition-owned-here", "Partition owned here",
                    "this node owns " + namespace.name() + "-" + partition + " as its writer and checks conditions against this "
                            + "replica; rebuild another replica, or stop this node so that ownership moves first");
        }
    }

    private boolean ownsHere(ServedNamespace namespace, int partition) {
        return owner.assigned().contains(new TopicPartition(namespace.name().truthTopic(), partition));
    }

    private List<RebuildProgress.Status> rebuildStatuses() {
        return replicas.rebuilds().stream().map(RebuildProgress::status).toList();
    }

    private static int partition(ServedNamespace namespace, String text) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 0 && p < namespace.settings().partitions()) {
                return p;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiProblem(HttpStatus.NOT_FOUND, "partition-not-found", "Partition not found",
                namespace.name() + " has partitions 0 to " + (namespace.settings().partitions() - 1) + ", not '" + text + "'");
    }

    private static long position(String text) {
        try {
            long position = Long.parseLong(text);
            if (position >= 0) {
                return position;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiProblem.badRequest("bad-position", "position must be a log offset (a whole number from 0)");
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

    /**
     * One replica's answer to a digest comparison.
     *
     * @param node   the replica's node URL
     * @param sha256 its digest at the comparison's position, or null when it gave none
     * @param error  why it gave none
     */
    public record ReplicaAnswer(String node, String sha256, String error) {
    }

    /**
     * The digests of one partition's replicas at one position.
     *
     * @param partition the partition
     * @param position  the position compared at (every committed record below it)
     * @param status    {@code agree} (every replica answered, all equal), {@code disagree} (two answers differ)
     *                  or {@code incomplete} (some replica gave no digest; those that did agree)
     * @param replicas  each replica's answer
     */
    public record PartitionComparison(int partition, long position, String status, List<ReplicaAnswer> replicas) {
        static PartitionComparison of(int partition, long position, List<ReplicaAnswer> answers) {
            long distinct = answers.stream().filter(a -> a.sha256() != null).map(ReplicaAnswer::sha256).distinct().count();
            boolean complete = !answers.isEmpty() && answers.stream().allMatch(a -> a.sha256() != null);
            String status = distinct > 1 ? "disagree" : complete ? "agree" : "incomplete";
            return new PartitionComparison(partition, position, status, answers);
        }
    }

    /**
     * The digest comparison of every partition of a namespace.
     *
     * @param namespace  the namespace
     * @param status     {@code disagree} if any partition disagrees, {@code agree} if all agree, else {@code incomplete}
     * @param partitions each partition's comparison
     */
    public record NamespaceComparison(String namespace, String status, List<PartitionComparison> partitions) {
    }
}
