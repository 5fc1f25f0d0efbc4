package io.logkv.materializer;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicaLagTest {

    @TempDir
    Path dir;

    @Test
    void aStoreLoadsInBulkFromFarBehindUntilItHasCaughtUpNotMerelyUntilItIsLessFarBehind() {
        try (StoreResources resources = new StoreResources(8 << 20, 4 << 20, 64 << 10);
             PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources)) {
            ReplicaLag lag = new ReplicaLag();
            long[] observed = {-1, 10, PartitionReplica.BULK_LOAD_LAG_RECORDS + 1, PartitionReplica.BULK_LOAD_LAG_RECORDS,
                    PartitionReplica.BULK_LOAD_EXIT_LAG_RECORDS + 1, PartitionReplica.BULK_LOAD_EXIT_LAG_RECORDS,
                    PartitionReplica.BULK_LOAD_EXIT_LAG_RECORDS + 1, PartitionReplica.BULK_LOAD_LAG_RECORDS + 1, 0};
            boolean[] loading = {false, false, true, true, true, false, false, true, false};
            for (int i = 0; i < observed.length; i++) {
                lag.observe(observed[i], 1_000 + i);
                lag.adjustBulkLoad(store, true, 1_000 + i);
                assertThat(lag.bulkLoading()).as("loading in bulk after a lag of %d (step %d)", observed[i], i).isEqualTo(loading[i]);
            }
            assertThat(lag.bulkLoadsEntered()).isEqualTo(2);
        }
    }

    @Test
    void aStoreThatKeepsASteadyLagUnderLoadGoesBackToCompactingAfterAWhileInsteadOfLoadingInBulkForever() {
        try (StoreResources resources = new StoreResources(8 << 20, 4 << 20, 64 << 10);
             PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources)) {
            ReplicaLag lag = new ReplicaLag();
            long far = PartitionReplica.BULK_LOAD_LAG_RECORDS + 1;
            long near = PartitionReplica.BULK_LOAD_EXIT_LAG_RECORDS + 1;
            long window = PartitionReplica.BULK_LOAD_MAX_NEAR_MS;
            long[][] steps = {
                    {far, 1_000}, {near, 2_000}, {near, 2_000 + window - 1},
                    // far behind again: the window starts over
                    {far, 2_000 + window}, {near, 3_000 + window}, {near, 3_000 + 2 * window - 1}, {near, 3_000 + 2 * window}};
            boolean[] loading = {true, true, true, true, true, true, false};
            for (int i = 0; i < steps.length; i++) {
                lag.observe(steps[i][0], steps[i][1]);
                lag.adjustBulkLoad(store, true, steps[i][1]);
                assertThat(lag.bulkLoading()).as("step %d: lag %d at %d ms", i, steps[i][0], steps[i][1]).isEqualTo(loading[i]);
            }
        }
    }
}
