package io.logkv.materializer;

import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** What a replica's positions show to those who wait for them. */
class ReplicaPositionsTest {

    @TempDir
    Path dir;

    /**
     * A new owner waits for the partition's end, then reads the ingest position where it resumes ingest; its
     * completion may run inside the applier's advance. By then the ingest position of the same batch must show,
     * or the owner would resume below it and apply ingest records again.
     */
    @Test
    void aWaiterForAPositionSeesTheIngestPositionAppliedWithIt() {
        long seen = seenByAWaiter(replica -> replica.catchUp().await(10, Duration.ofSeconds(5)), PartitionReplica::appliedIngestPosition);

        assertThat(seen).as("the ingest position seen when the position was reached").isEqualTo(7);
    }

    /**
     * A session read waiting for an ingest position reads the store once it is woken, possibly on the applying
     * thread; it may share a read already started at the replica's position (read coalescing). So the replica's
     * position must already include the batch that brought the ingest position, or the woken read could be
     * answered from a read begun before that batch was written.
     */
    @Test
    void aWaiterForAnIngestPositionSeesThePositionOfTheBatchThatBroughtIt() {
        long seen = seenByAWaiter(replica -> replica.ingestCatchUp().await(7, Duration.ofSeconds(5)), PartitionReplica::appliedPosition);

        assertThat(seen).as("the replica's position seen when the ingest position was reached").isEqualTo(10);
    }

    /**
     * What a waiter's completion reads of a replica ({@code read}) when the replica applies one batch up to
     * position 10 with ingest position 7, the waiter made by {@code waiting} before.
     */
    private long seenByAWaiter(java.util.function.Function<PartitionReplica, java.util.concurrent.CompletableFuture<Boolean>> waiting,
                               java.util.function.ToLongFunction<PartitionReplica> read) {
        try (StoreResources resources = new StoreResources(8 << 20, 16 << 20, 64 << 10)) {
            PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, new ManualNodeTime(1_700_000_000_000L));
            PartitionReplica replica = new PartitionReplica(new NamespaceName("positions"), 0, store, new AtomicInteger(), 100);
            AtomicLong seen = new AtomicLong(-1);
            waiting.apply(replica).thenAccept(reached -> seen.set(read.applyAsLong(replica)));

            replica.applied(10, 1, 7);

            replica.close(false);
            return seen.get();
        }
    }
}
