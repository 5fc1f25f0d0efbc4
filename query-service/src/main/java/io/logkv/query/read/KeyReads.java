package io.logkv.query.read;

import io.logkv.core.ConsistencyToken;
import io.logkv.core.KeyPartitioner;
import io.logkv.core.LogPosition;
import io.logkv.core.NodeTime;
import io.logkv.core.ProblemTypes;
import io.logkv.core.RecordEnvelope;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.query.cluster.NamespaceResolver.ServedNamespace;
import io.logkv.query.problem.ApiProblem;
import io.logkv.query.region.HomeRegions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.springframework.stereotype.Component;

/**
 * The read path: find this node's replica of the key's partition, wait (without a thread) until it has
 * applied the position the consistency level demands, then read the key from RocksDB.
 */
@Component
public class KeyReads {

    private final LocalReplicas replicas;
    private final CommittedEnds committedEnds;
    private final WaitingReads waiting;
    private final HomeRegions regions;
    private final ReadCoalescer coalescer;
    private final HotKeys hotKeys;
    /** Expiry is judged by its wall clock, waits are measured by its monotonic one. */
    private final NodeTime time;

    public KeyReads(LocalReplicas replicas, CommittedEnds committedEnds, WaitingReads waiting, HomeRegions regions,
                    ReadCoalescer coalescer, HotKeys hotKeys, NodeTime time) {
        this.replicas = replicas;
        this.time = time;
        this.committedEnds = committedEnds;
        this.waiting = waiting;
        this.regions = regions;
        this.coalescer = coalescer;
        this.hotKeys = hotKeys;
    }

    /**
     * Reads one key.
     *
     * @param token     the positions the client has seen (session reads wait for them)
     * @param forwarded whether another node sent the read here as a replica holder: if this node holds
     *                  none, it says so at once instead of waiting for one to open
     * @param client    who the read is for ({@link WaitingReads})
     * @return the outcome; fails with a 503 {@link ApiProblem} when the replica cannot catch up within {@code wait}
     */
    public CompletableFuture<KeyRead> read(ServedNamespace namespace, byte[] key, ReadConsistency consistency,
                                           ConsistencyToken token, Duration wait, boolean forwarded, String client) {
        int partition = KeyPartitioner.partitionOf(key, namespace.settings().partitions());
        return read(namespace, partition, key, consistency, token, wait, forwarded, client);
    }

    /** Reads one key of {@code partition} (the key's partition, already known to the caller); as {@link #read} otherwise. */
    public CompletableFuture<KeyRead> read(ServedNamespace namespace, int partition, byte[] key, ReadConsistency consistency,
                                           ConsistencyToken token, Duration wait, boolean forwarded, String client) {
        return readyReplica(namespace, partition, consistency, token, wait, forwarded, client)
                .thenApply(replica -> readNow(namespace, replica, key, token));
    }

    /**
     * This node's replica of a partition once it may answer at {@code consistency}: it exists and serves
     * (or, for session and strong reads on their own node, is replaying but will reach the position), and
     * it has applied the position the consistency demands. A read that has to wait takes one of its client's and
     * its namespace's places ({@link WaitingReads}) while it waits.
     *
     * @return the replica; fails with a 503 {@link ApiProblem} when there is none or it cannot catch up within {@code wait}
     */
    public CompletableFuture<PartitionReplica> readyReplica(ServedNamespace namespace, int partition, ReadConsistency consistency,
                                                           ConsistencyToken token, Duration wait, boolean forwarded,
                                                           String client) {
        long started = time.nanoTime();
        if (consistency == ReadConsistency.STRONG) {
            regions.requireHome(namespace, "Strong reads");
        }
        return replicas.awaitReplica(namespace.name(), partition, forwarded ? Duration.ZERO : wait).thenCompose(replica -> {
            if (replica == null) {
                throw ApiProblem.unavailable(ProblemTypes.REPLICA_UNAVAILABLE, "No replica here",
                        "this node holds no replica of " + namespace.name() + "-" + partition + " yet", Duration.ofSeconds(1));
            }
            if (!replica.serving() && (forwarded || consistency == ReadConsistency.EVENTUAL)) {
                // Replaying (a rebuild, a new placement): an eventual read here could miss keys the log
                // holds, and a node that forwarded the read can try a replica that has caught up.
                throw ApiProblem.unavailable(ProblemTypes.REPLICA_UNAVAILABLE, "Replica replaying",
                        "this node's replica of " + namespace.name() + "-" + partition + " is replaying the log (applied position "
                                + replica.appliedPosition() + ")", Duration.ofSeconds(1));
            }
            return caughtUp(namespace, replica, consistency, token, wait, started, client);
        });
    }

    private CompletableFuture<PartitionReplica> caughtUp(ServedNamespace namespace, PartitionReplica replica, ReadConsistency consistency,
                                                         ConsistencyToken token, Duration wait, long started, String client) {
        int partition = replica.partition();
        CompletableFuture<Long> required = switch (consistency) {
            case EVENTUAL -> CompletableFuture.completedFuture(0L);
            case SESSION -> regions.required(namespace, token, partition, wait.minusNanos(time.nanoTime() - started));
            case STRONG -> committedEnds.of(namespace.name().truthPartition(partition), wait.minusNanos(time.nanoTime() - started));
        };
        // A strong read is at least a session read: the ingest positions its token names are waited for too (the
        // log's end says nothing of ingest records the partition's owner has not applied yet).
        long ingestPosition = consistency != ReadConsistency.EVENTUAL ? token.ingestPositionFor(namespace.name(), partition) : 0;
        return required.thenCompose(position -> {
            if (position < 0) {
                throw ApiProblem.unavailable(ProblemTypes.NOT_CAUGHT_UP, "Mirror not caught up", regions.isCopy(namespace)
                        ? "the token names a position of region '" + namespace.settings().home() + "' that the mirror has not yet"
                                + " carried into this region; retry, or allow a longer wait_ms"
                        : "the token names a position of another region's log that was not carried into this region (the"
                                + " namespace's former home, before its promotion here); retry, or allow a longer wait_ms",
                        Duration.ofSeconds(1));
            }
            Duration left = wait.minusNanos(time.nanoTime() - started);
            boolean waits = !left.isNegative() && !left.isZero() && (position > 0 && replica.catchUp().applied() < position
                    || ingestPosition > 0 && replica.ingestCatchUp().applied() < ingestPosition);
            Runnable release = waits ? waiting.admit(client, namespace.name().value()) : WaitingReads.none();
            CompletableFuture<Boolean> caughtUp;
            try {
                caughtUp = replica.catchUp().await(position, left)
                        .thenCompose(truth -> !truth || ingestPosition == 0 ? CompletableFuture.completedFuture(truth)
                                : replica.ingestCatchUp().await(ingestPosition, wait.minusNanos(time.nanoTime() - started)));
            } catch (RuntimeException overloaded) {
                release.run();
                throw overloaded;
            }
            return caughtUp.whenComplete((done, error) -> release.run()).thenApply(reached -> {
                if (!reached) {
                    // Name the position that was not reached: the truth's, or the ingest partition's of a streaming app's token.
                    String behind = replica.appliedPosition() >= position && ingestPosition > 0
                            ? "had applied its ingest partition up to " + replica.ingestCatchUp().applied() + " but the read needs "
                                    + ingestPosition
                            : "had applied position " + replica.appliedPosition() + " but the read needs " + position;
                    throw ApiProblem.unavailable(ProblemTypes.NOT_CAUGHT_UP, "Replica not caught up",
                            "the replica of partition " + partition + " " + behind + "; retry, or allow a longer wait_ms",
                            Duration.ofSeconds(1));
                }
                return replica;
            });
        });
    }

    private KeyRead readNow(ServedNamespace namespace, PartitionReplica replica, byte[] key, ConsistencyToken token) {
        long now = time.nowMs();
        long lagMs = replica.lagMillis(now);
        // The answer token names exactly what the read reflects (the read shared with concurrent ones included).
        PartitionReplica.PositionedRead read = coalescer.read(replica, replica.appliedPosition(), key, () -> replica.readPositioned(key));
        hotKeys.read(namespace.name(), key);
        RecordEnvelope envelope = read.envelope();
        if (envelope != null && envelope.isExpiredAt(now)) {
            envelope = null;
        }
        ConsistencyToken served = token.merge(regions.token(namespace.name(), new LogPosition(replica.partition(), read.position())));
        return new KeyRead(envelope, served, lagMs);
    }

    /**
     * What a read found.
     *
     * @param envelope the live value, or null when the key is absent or expired
     * @param token    the request's token merged with the position the read was served at
     * @param lagMs    how far behind the log's committed end the replica was
     */
    public record KeyRead(RecordEnvelope envelope, ConsistencyToken token, long lagMs) {
    }
}
