package io.logkv.query.read;

import io.logkv.core.ProblemTypes;
import io.logkv.core.Timers;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.path.KeyPath;
import io.logkv.query.peer.Peers;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.problem.ApiProblem;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * Decides where a read runs. A node answers from its own replica of the key's partition when it holds
 * one that serves (has caught up since it opened); otherwise it forwards the read to the nodes the
 * placement names, best first: for session and strong reads the partition's owner (always caught up
 * with what it wrote), for eventual reads the replicas in turn, to spread the load. A peer that does not
 * answer, or answers that it holds no replica, is skipped for the next one; one that has not answered
 * after {@code logkv.replicas.hedge-after} is raced against the next (a hedged read), so a hung replica
 * costs a read that long rather than the forward timeout. When no placed replica can answer yet (they are
 * opening or replaying: a new namespace, a new placement, a restarted node), the read asks again every
 * {@value #RETRY_PAUSE_MS} ms until its own wait ({@code wait_ms}) runs out, as a read on its own replica
 * waits for that replica; only then is it answered 503.
 */
@Component
public class ReadRouting {

    /** How long a read waits before it asks the placed replicas again when none could answer. */
    private static final long RETRY_PAUSE_MS = 50;
    private static final Duration RETRY_PAUSE = Duration.ofMillis(RETRY_PAUSE_MS);

    private final LocalReplicas replicas;
    private final ClusterReplicas cluster;
    private final Peers peers;
    private final ForwardedReadBatcher batcher;
    private final Duration forwardTimeout;
    private final Duration hedgeAfter;
    private final Counter hedges;
    private final AtomicInteger turn = new AtomicInteger();

    public ReadRouting(LocalReplicas replicas, ClusterReplicas cluster, Peers peers, ForwardedReadBatcher batcher,
                       LogKvProperties props, MeterRegistry meters) {
        this.replicas = replicas;
        this.cluster = cluster;
        this.peers = peers;
        this.batcher = batcher;
        this.forwardTimeout = props.replicas().forwardTimeout();
        this.hedgeAfter = props.replicas().hedgeAfter();
        this.hedges = Counter.builder("logkv.reads.hedged")
                .description("Forwarded reads also sent to a second replica because the first had not answered in hedge-after")
                .register(meters);
    }

    /**
     * Whether this node serves reads of the partition itself: its replica serves, or no other node holds one
     * ({@link #peersFor} is then empty). Unlike {@link #peersFor}, it does not move the rotation among replicas.
     */
    public boolean servedHere(ServedNamespace namespace, int partition) {
        PartitionReplica local = replicas.replica(namespace.name(), partition);
        if (local != null && local.serving()) {
            return true;
        }
        List<String> placed = cluster.placement().replicasOf(namespace.name(), partition);
        return placed.isEmpty() || placed.size() == 1 && placed.contains(cluster.self());
    }

    /** The nodes to forward a read of a partition to, best first; empty when this node answers it. */
    public List<String> peersFor(ServedNamespace namespace, int partition, ReadConsistency consistency, boolean forwarded) {
        if (forwarded || servedHere(namespace, partition)) {
            return List.of();
        }
        List<String> placed = new ArrayList<>(cluster.placement().replicasOf(namespace.name(), partition));
        placed.remove(cluster.self());
        if (placed.size() > 1 && consistency == ReadConsistency.EVENTUAL) {
            java.util.Collections.rotate(placed, Math.floorMod(turn.getAndIncrement(), placed.size()));
        }
        return placed;
    }

    /**
     * Forwards a read to the first of {@code candidates} that answers it, relaying that answer; when none
     * can, answers with {@code local} if this node holds a replica that may answer, else 503.
     *
     * @param request the read as received (with its token headers and query)
     * @param wait    the read's own wait bound; a peer may take {@code forward-timeout} more
     * @param relay   turns a peer's answer into this node's answer
     * @param local   the read on this node's own replica, given the wait the read has left (its own wait less
     *                the time spent asking peers)
     */
    public <T> CompletableFuture<T> forward(ServedNamespace namespace, int partition, List<String> candidates, ForwardedRequest request,
                                           Duration wait, ReadConsistency consistency, Function<Peers.PeerResponse, T> relay,
                                           Function<Duration, CompletableFuture<T>> local) {
        Round<T> round = new Round<>(namespace, partition, request, System.nanoTime() + wait.toNanos(), consistency, relay, local);
        return attempt(round, candidates, 0, wait.plus(forwardTimeout), null);
    }

    /**
     * One read being forwarded: what every attempt of it shares.
     *
     * @param deadlineNanos when the read's own wait ends ({@code System.nanoTime()})
     */
    private record Round<T>(ServedNamespace namespace, int partition, ForwardedRequest request, long deadlineNanos,
                            ReadConsistency consistency, Function<Peers.PeerResponse, T> relay, Function<Duration, CompletableFuture<T>> local) {

        /** The read's own wait left: none once its deadline has passed. */
        Duration left() {
            return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
        }

        CompletableFuture<T> readLocally() {
            return local.apply(left());
        }
    }

    private <T> CompletableFuture<T> attempt(Round<T> round, List<String> candidates, int index, Duration timeout, String lastProblem) {
        ServedNamespace namespace = round.namespace();
        int partition = round.partition();
        if (index >= candidates.size()) {
            PartitionReplica replica = replicas.replica(namespace.name(), partition);
            if (replica != null && (replica.serving() || round.consistency() != ReadConsistency.EVENTUAL)) {
                return round.readLocally();
            }
            long left = round.deadlineNanos() - System.nanoTime();
            if (left > 0) {
                // The placed replicas are opening or replaying (a new namespace, a new placement, a node that
                // restarted): the read waits for one of them, as it would for its own, within its wait.
                return Timers.delay(Duration.ofNanos(Math.min(left, RETRY_PAUSE.toNanos()))).thenCompose(paused -> {
                    List<String> again = peersFor(namespace, partition, round.consistency(), false);
                    return again.isEmpty() ? round.readLocally() : attempt(round, again, 0, round.left().plus(forwardTimeout), lastProblem);
                });
            }
            return CompletableFuture.failedFuture(ApiProblem.unavailable(ProblemTypes.REPLICA_UNAVAILABLE, "No replica reachable",
                    "no replica of " + namespace.name() + "-" + partition + " could answer: " + lastProblem, Duration.ofSeconds(1)));
        }
        ForwardedRequest request = round.request();
        ReadConsistency consistency = round.consistency();
        AtomicInteger tried = new AtomicInteger(1);
        CompletableFuture<Peers.PeerResponse> answer = ask(candidates.get(index), request, consistency, timeout);
        if (index + 1 < candidates.size()) {
            answer = hedged(answer, () -> {
                tried.set(2);
                return ask(candidates.get(index + 1), request, consistency, timeout);
            });
        }
        return answer.thenCompose(response -> response != null
                ? CompletableFuture.completedFuture(round.relay().apply(response))
                : attempt(round, candidates, index + tried.get(), round.left().plus(forwardTimeout),
                        String.join(", ", candidates.subList(index, index + tried.get())) + " held no serving replica or did not answer"));
    }

    /**
     * The first usable answer of {@code first} and, if {@code first} has none after {@code hedge-after}, of a
     * second request made then; null when neither has one. Reads change nothing, so asking twice is safe.
     */
    private CompletableFuture<Peers.PeerResponse> hedged(CompletableFuture<Peers.PeerResponse> first,
                                                         Supplier<CompletableFuture<Peers.PeerResponse>> second) {
        CompletableFuture<Peers.PeerResponse> answer = new CompletableFuture<>();
        AtomicInteger outstanding = new AtomicInteger(1);
        java.util.function.Consumer<Peers.PeerResponse> arrived = response -> {
            if (response != null) {
                answer.complete(response);
            } else if (outstanding.decrementAndGet() == 0) {
                answer.complete(null);
            }
        };
        first.thenAccept(arrived);
        java.util.concurrent.ScheduledFuture<?> timer = Timers.after(hedgeAfter, () -> {
            if (!answer.isDone() && outstanding.getAndIncrement() > 0) {
                hedges.increment();
                second.get().thenAccept(arrived);
            } else {
                outstanding.decrementAndGet();
            }
        });
        answer.whenComplete((response, error) -> timer.cancel(false));
        return answer;
    }

    /** Whether a forwarded request is a GET of one key (what batches of forwarded reads carry). */
    private static boolean isKeyRead(ForwardedRequest request) {
        if (!"GET".equals(request.method())) {
            return false;
        }
        String pathAndQuery = request.pathAndQuery();
        int query = pathAndQuery.indexOf('?');
        return KeyPath.of(query < 0 ? pathAndQuery : pathAndQuery.substring(0, query)) != null;
    }

    /**
     * A peer's answer to the read, or null when it cannot give one (unreachable, or no serving replica).
     * Eventual reads of one key go through the {@link ForwardedReadBatcher}: they never wait at the peer, so
     * one cannot hold up the others of its batch.
     */
    private CompletableFuture<Peers.PeerResponse> ask(String peer, ForwardedRequest request, ReadConsistency consistency,
                                                      Duration timeout) {
        CompletableFuture<Peers.PeerResponse> sent = consistency == ReadConsistency.EVENTUAL && isKeyRead(request)
                ? batcher.send(peer, request, timeout) : peers.send(peer, request, timeout);
        return sent.handle((response, error) -> {
            if (error != null) {
                return null;
            }
            if (response.statusCode() == 503 && response.isProblem(ProblemTypes.REPLICA_UNAVAILABLE)) {
                return null;
            }
            return response;
        });
    }
}
