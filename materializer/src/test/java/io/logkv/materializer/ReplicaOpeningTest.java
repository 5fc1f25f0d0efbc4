package io.logkv.materializer;

import io.logkv.core.ManualNodeTime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica resumes from the position its store persisted, unless the store was last written longer ago
 * than the log keeps tombstones: then it is wiped and replays the whole log. Real stores; no Kafka (opening
 * a replica does not touch the applier's consumer).
 */
class ReplicaOpeningTest {

    private static final Duration MAX_RESUME_AGE = Duration.ofHours(24);
    private static final TopicPartition TP = new TopicPartition("logkv.truth.orders", 0);

    @TempDir
    Path dir;
    private final StoreResources resources = new StoreResources(8 << 20, 4 << 20, 64 << 10);
    private final ManualNodeTime time = new ManualNodeTime(1_700_000_000_000L);
    private HeldReplicas held;
    private ReplicaOpening opening;

    @AfterEach
    void close() {
        if (held != null) {
            held.closeAll();
        }
        resources.close();
    }

    @Test
    void aReplicaWithoutAStoreStartsFromNothing() {
        open();
        PartitionReplica replica = opening.open(TP);
        assertThat(replica.resumedFrom()).isZero();
        assertThat(replica.origin()).isEqualTo("new here: full replay");
    }

    @Test
    void aStoreResumesFromThePositionItPersisted() {
        open();
        storeAt(17);
        PartitionReplica replica = opening.open(TP);
        assertThat(replica.resumedFrom()).isEqualTo(17);
        assertThat(replica.origin()).isEqualTo("resumed at 17");
    }

    @Test
    void aStoreIdleLongerThanTheMaxResumeAgeIsWipedAndReplaysTheWholeLog() {
        open();
        storeAt(17);
        time.advance(MAX_RESUME_AGE.plusHours(1));

        PartitionReplica replica = opening.open(TP);

        assertThat(replica.resumedFrom()).isZero();
        assertThat(replica.origin()).startsWith("too old to resume (").endsWith(" h idle): full replay");
    }

    @Test
    void aStoreJustYoungerThanTheMaxResumeAgeResumes() {
        open();
        storeAt(17);
        time.advance(MAX_RESUME_AGE.minusMinutes(1));
        assertThat(opening.open(TP).resumedFrom()).isEqualTo(17);
    }

    private void open() {
        ReplicaSettings settings = new ReplicaSettings("localhost:9092", "test", dir, 8 << 20, 4 << 20, 64 << 10, 100, 100,
                MAX_RESUME_AGE);
        held = new HeldReplicas(settings, resources, null, new AtomicInteger(), new ReplicaDigests(),
                new ReplicaRebuilds(new SimpleMeterRegistry(), time), time);
        opening = new ReplicaOpening(settings, held, new ReplicaSeeding(), Runnable::run, time);
    }

    /** A store left by an earlier run of the node, at {@code position}, written now (by the test's clock). */
    private void storeAt(long position) {
        try (PartitionStore store = PartitionStore.open(held.storeDirectory(TP), resources, time);
             PartitionStore.Batch batch = store.newBatch()) {
            batch.commit(position);
        }
    }
}
