package io.logkv.query.api;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.logkv.core.ProblemTypes;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PositionPassedException;
import io.logkv.materializer.ReplicaDigest;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.query.cluster.NamespaceResolver;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.peer.Peers;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.problem.AsyncFailures;
import io.logkv.query.read.CommittedEnds;
import io.logkv.query.read.WaitBound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code /v1/admin/.../digest(s)}: digests of replicas at exact log positions, and their comparison across
 * the cluster. The digest of a partition at position P covers every committed record below P, so the
 * replicas of a partition agree exactly when their digests at the same P are equal.
 */
@RestController
@RequestMapping("/v1/admin")
public class DigestsController {

    private static final int DIGEST_ATTEMPTS = 5;
    /** How an answer names a replica that could not be asked (not a problem type: there was no answer). */
    private static final String UNREACHABLE = "unreachable";

    private final NamespaceResolver namespaces;
    private final LocalReplicas replicas;
    private final ClusterReplicas cluster;
    private final CommittedEnds committedEnds;
    private final Peers peers;
    private final ObjectMapper json;
    private final LogKvProperties props;

    public DigestsController(NamespaceResolver namespaces, LocalReplicas replicas, ClusterReplicas cluster, CommittedEnds committedEnds,
                             Peers peers, ObjectMapper json, LogKvProperties props) {
        this.namespaces = namespaces;
        this.replicas = replicas;
        this.cluster = cluster;
        this.committedEnds = committedEnds;
        this.peers = peers;
        this.json = json;
        this.props = props;
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
        int p = AdminRequests.partition(namespace, partition);
        Duration wait = WaitBound.of(waitMs, props.replicas());
        CompletableFuture<Long> at = position != null ? CompletableFuture.completedFuture(AdminRequests.position(position))
                : committedEnds.of(namespace.name().truthPartition(p));
        return at.thenCompose(target -> replicas.digestAt(namespace.name(), p, target, wait))
                .exceptionally(error -> {
                    throw AdminRequests.asProblem(AsyncFailures.cause(error), namespace, p);
                });
    }

    /** Compares the digests of every replica of one partition at one position. */
    @GetMapping("/namespaces/{ns}/partitions/{partition}/digests")
    public CompletableFuture<PartitionComparison> compare(@PathVariable String ns, @PathVariable String partition,
                                                          @RequestParam(name = "wait_ms", required = false) String waitMs) {
        ServedNamespace namespace = namespaces.resolve(ns);
        return compare(namespace, AdminRequests.partition(namespace, partition), WaitBound.of(waitMs, props.replicas()), 1);
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
        return committedEnds.of(namespace.name().truthPartition(partition)).thenCompose(position -> {
            List<CompletableFuture<ReplicaAnswer>> answers = holders.stream()
                    .map(node -> digestFrom(node, namespace, partition, position, wait)).toList();
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenCompose(done -> {
                List<ReplicaAnswer> all = answers.stream().map(CompletableFuture::join).toList();
                boolean passed = all.stream().anyMatch(a -> ProblemTypes.POSITION_PASSED.equals(a.problem()));
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
                    .handle((digest, error) -> error == null ? ReplicaAnswer.digest(node, digest.sha256())
                            : describe(node, AsyncFailures.cause(error)));
        }
        return peers.send(node, new ForwardedRequest("GET", path, Map.of(), null, null), wait.plus(props.replicas().forwardTimeout()))
                .handle((response, error) -> {
                    if (error != null) {
                        return ReplicaAnswer.failed(node, UNREACHABLE, AsyncFailures.cause(error).getMessage());
                    }
                    if (response.statusCode() != 200) {
                        ApiProblem problem = ApiProblem.fromPeer(response.statusCode(), response.body(), java.util.Optional.empty(), json);
                        return ReplicaAnswer.failed(node, problem.type(), problem.getMessage());
                    }
                    return ReplicaAnswer.digest(node, json.readValue(response.body(), ReplicaDigest.class).sha256());
                });
    }

    private static ReplicaAnswer describe(String node, Throwable error) {
        if (error instanceof PositionPassedException) {
            return ReplicaAnswer.failed(node, ProblemTypes.POSITION_PASSED, error.getMessage());
        }
        if (error instanceof TimeoutException) {
            return ReplicaAnswer.failed(node, ProblemTypes.NOT_CAUGHT_UP, "the replica did not reach the position in time");
        }
        return ReplicaAnswer.failed(node, ProblemTypes.REPLICA_UNAVAILABLE, error.getMessage());
    }

    /**
     * One replica's answer to a digest comparison.
     *
     * @param node    the replica's node URL
     * @param sha256  its digest at the comparison's position, or null when it gave none
     * @param error   why it gave none: the problem's type, a colon and its detail
     * @param problem the problem's type alone (not in the JSON), or null
     */
    public record ReplicaAnswer(String node, String sha256, String error, @JsonIgnore String problem) {

        static ReplicaAnswer digest(String node, String sha256) {
            return new ReplicaAnswer(node, sha256, null, null);
        }

        static ReplicaAnswer failed(String node, String problem, String detail) {
            return new ReplicaAnswer(node, null, problem + ": " + detail, problem);
        }
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
