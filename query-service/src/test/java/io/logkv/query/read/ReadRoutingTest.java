package io.logkv.query.read;

import io.logkv.core.NamespaceName;
import io.logkv.core.NamespaceSettings;
import io.logkv.materializer.LocalReplicas;
import io.logkv.query.cluster.ClusterReplicas;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.cluster.ReplicaPlacement;
import io.logkv.query.config.LogKvProperties;
import io.logkv.query.peer.Peers;
import io.logkv.query.peer.Peers.ForwardedRequest;
import io.logkv.query.peer.Peers.PeerResponse;
import io.logkv.query.problem.ApiProblem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * A read forwarded to replicas that cannot answer yet (opening or replaying: a new namespace, a new
 * placement, a restarted node) waits for them within its own wait, as a read on its own replica would,
 * and is answered 503 only when that wait is over.
 */
class ReadRoutingTest {

    private static final String SELF = "http://self";
    private static final String PEER = "http://peer";
    private static final ServedNamespace NS = new ServedNamespace(new NamespaceName("routing"), new NamespaceSettings(1, Duration.ZERO));
    private static final ForwardedRequest READ = new ForwardedRequest("GET", "/v1/namespaces/routing/keys/k", Map.of(), null, null);

    private final LocalReplicas replicas = mock(LocalReplicas.class);
    private final ClusterReplicas cluster = mock(ClusterReplicas.class);
    private final Peers peers = mock(Peers.class);
    private final AtomicInteger asked = new AtomicInteger();
    private final ReadRouting routing;

    ReadRoutingTest() {
        ReplicaPlacement placement = mock(ReplicaPlacement.class);
        when(placement.replicasOf(eq(NS.name()), anyInt())).thenReturn(List.of(SELF, PEER));
        when(cluster.placement()).thenReturn(placement);
        when(cluster.self()).thenReturn(SELF);
        when(replicas.replica(any(), anyInt())).thenReturn(null); // this node holds no replica of the partition
        LogKvProperties props = new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("logkv", LogKvProperties.class);
        routing = new ReadRouting(replicas, cluster, peers, mock(ForwardedReadBatcher.class), props, new SimpleMeterRegistry());
    }

    @Test
    void aReadWaitsWithinItsWaitForAPlacedReplicaThatIsReplaying() throws Exception {
        answersReplayingTimes(3);

        CompletableFuture<String> read = forward(Duration.ofSeconds(5));

        assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo("200 value");
        assertThat(asked.get()).as("asked again until the replica answered").isEqualTo(4);
    }

    @Test
    void aReadWhoseWaitRunsOutIsAnswered503NamingTheReplicas() {
        answersReplayingTimes(Integer.MAX_VALUE);
        long start = System.nanoTime();

        CompletableFuture<String> read = forward(Duration.ofMillis(300));

        assertThatThrownBy(() -> read.get(5, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(ApiProblem.class, problem -> {
                    assertThat(problem.status().value()).isEqualTo(503);
                    assertThat(problem.getMessage()).contains(PEER + " held no serving replica");
                });
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(tookMs).as("answered when the wait ran out, not before").isGreaterThanOrEqualTo(300);
        assertThat(asked.get()).as("asked more than once within the wait").isGreaterThan(1);
    }

    @Test
    void aReadThatMayNotWaitIsAnswered503AtOnce() {
        answersReplayingTimes(Integer.MAX_VALUE);

        CompletableFuture<String> read = forward(Duration.ZERO);

        assertThatThrownBy(() -> read.get(5, TimeUnit.SECONDS)).cause().isInstanceOf(ApiProblem.class);
        assertThat(asked.get()).isEqualTo(1);
    }

    /**
     * A read that falls back to this node's own replica (not serving yet, but a session read may wait on it) after
     * asking a peer gets only the wait it has left, so that the whole read ends within its wait and the peer's
     * forward timeout, not twice its wait.
     */
    @Test
    void aReadThatFallsBackToItsOwnReplicaAfterAPeerGetsOnlyTheWaitItHasLeft() throws Exception {
        io.logkv.materializer.PartitionReplica replaying = mock(io.logkv.materializer.PartitionReplica.class);
        when(replaying.serving()).thenReturn(false);
        when(replicas.replica(any(), anyInt())).thenReturn(replaying);
        when(peers.send(eq(PEER), any(), any())).thenAnswer(invocation -> io.logkv.core.Timers.delay(Duration.ofMillis(400))
                .thenApply(slept -> new PeerResponse(503, Map.of("Content-Type", "application/problem+json"),
                        "{\"type\":\"/problems/replica-unavailable\"}".getBytes(StandardCharsets.UTF_8))));
        java.util.concurrent.atomic.AtomicReference<Duration> given = new java.util.concurrent.atomic.AtomicReference<>();

        String answer = routing.forward(NS, 0, List.of(PEER), READ, Duration.ofSeconds(1), ReadConsistency.SESSION,
                response -> "peer", left -> {
                    given.set(left);
                    return CompletableFuture.completedFuture("local");
                }).get(5, TimeUnit.SECONDS);

        assertThat(answer).isEqualTo("local");
        assertThat(given.get()).as("the wait left after 400 ms with the peer").isLessThanOrEqualTo(Duration.ofMillis(600));
    }

    private CompletableFuture<String> forward(Duration wait) {
        List<String> candidates = routing.peersFor(NS, 0, ReadConsistency.SESSION, false);
        assertThat(candidates).containsExactly(PEER);
        return routing.forward(NS, 0, candidates, READ, wait, ReadConsistency.SESSION,
                        response -> response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8),
                        left -> CompletableFuture.failedFuture(new AssertionError("no local replica to read")))
                .exceptionallyCompose(error -> CompletableFuture.failedFuture(error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error));
    }

    /** The peer answers that its replica is replaying {@code times} times, then with the value. */
    private void answersReplayingTimes(int times) {
        when(peers.send(eq(PEER), any(), any())).thenAnswer(invocation -> {
            if (asked.incrementAndGet() <= times) {
                return CompletableFuture.completedFuture(new PeerResponse(503, Map.of("Content-Type", "application/problem+json"),
                        "{\"type\":\"/problems/replica-unavailable\"}".getBytes(StandardCharsets.UTF_8)));
            }
            return CompletableFuture.completedFuture(new PeerResponse(200, Map.of(), "value".getBytes(StandardCharsets.UTF_8)));
        });
    }
}
