package io.logkv.query.node;

import io.logkv.core.IdempotentOutcome;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.materializer.LocalReplicas;
import io.logkv.materializer.PartitionReplica;
import io.logkv.writer.StateLookup;
import io.logkv.writer.StoredVersion;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** The partition owner's view of state: this node's replicas of the partitions it owns. */
final class ReplicaStateLookup implements StateLookup {

    private final LocalReplicas replicas;

    ReplicaStateLookup(LocalReplicas replicas) {
        this.replicas = replicas;
    }

    @Override
    public StoredVersion stored(NamespaceName namespace, int partition, byte[] key) {
        RecordEnvelope envelope = replica(namespace, partition).read(key);
        return envelope == null ? null : new StoredVersion(envelope.version(), envelope.expiresAtMs());
    }

    @Override
    public IdempotentOutcome previousOutcome(NamespaceName namespace, int partition, byte[] idempotencyKey) {
        return replica(namespace, partition).idempotentOutcome(idempotencyKey);
    }

    @Override
    public long appliedPosition(NamespaceName namespace, int partition) {
        PartitionReplica replica = replicas.replica(namespace, partition);
        return replica == null ? -1 : replica.appliedPosition();
    }

    @Override
    public long appliedIngestPosition(NamespaceName namespace, int partition) {
        PartitionReplica replica = replicas.replica(namespace, partition);
        return replica == null ? 0 : replica.appliedIngestPosition();
    }

    @Override
    public CompletableFuture<Boolean> awaitApplied(NamespaceName namespace, int partition, long position, Duration maxWait) {
        // A new owner may hold no replica of the partition yet (it was not one of its replicas): open one.
        long started = System.nanoTime();
        if (replicas.replica(namespace, partition) == null) {
            replicas.ensure(namespace, partition);
        }
        return replicas.awaitReplica(namespace, partition, maxWait).thenCompose(replica -> replica == null
                ? CompletableFuture.completedFuture(false)
                : replica.catchUp().await(position, maxWait.minusNanos(System.nanoTime() - started)));
    }

    private PartitionReplica replica(NamespaceName namespace, int partition) {
        PartitionReplica replica = replicas.replica(namespace, partition);
        if (replica == null) {
            throw new IllegalStateException("this node owns " + namespace + "-" + partition + " but holds no replica of it");
        }
        return replica;
    }
}
