package io.logkv.materializer;

import io.logkv.core.ManualNodeTime;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica resumes from the position its store persisted, unless the store was last written longer ago
 * than the log keeps tombstones, or its files are missing or corrupt: then it is wiped and replays the whole log. A
 * seed cut short by a stop leaves no half store. Real stores; no Kafka (opening a replica does not touch the
 * applier's consumer).
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

    /**
     * A store far behind waits for a seed (reseeding), and none comes; meanwhile it has aged past the maximum resume
     * age (seeds wait their turn): it is judged again then, and replays the whole log instead of resuming.
     */
    @Test
    void aStoreThatAgedPastTheMaxResumeAgeWhileASeedWasSoughtIsWipedNotResumed() {
        open();
        storeAt(17);
        time.advance(MAX_RESUME_AGE.minusMinutes(1));
        assertThat(opening.resumeWithoutSeed(TP, held.storeDirectory(TP))).as("still young enough").isEqualTo("resumed at 17");

        time.advance(Duration.ofMinutes(2));
        assertThat(opening.resumeWithoutSeed(TP, held.storeDirectory(TP))).startsWith("too old to resume once no seed came (")
                .endsWith(" h idle): full replay");
        PartitionReplica replica = held.openStore(TP, "after");
        assertThat(replica.resumedFrom()).isZero();
        assertThat(replica.read("k".getBytes(StandardCharsets.UTF_8))).as("the old store's keys are gone").isNull();
    }

    /**
     * A node stops while it copies a seed whose current-file pointer and manifest arrived before its table files
     * (the order a store's listing may give). The node that starts again finds no half store: the replica opens,
     * and replays the whole log, and what was copied is gone.
     */
    @Test
    void aSeedCutShortByAStopLeavesNoHalfStoreAndTheReplicaOpens() throws Exception {
        Path complete = dir.resolve("complete-store");
        try (PartitionStore store = PartitionStore.open(complete, resources, time); PartitionStore.Batch batch = store.newBatch()) {
            batch.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8));
            batch.commit(17);
        }
        CountDownLatch copying = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        ReplicaSeeds stoppedMidway = (namespace, partition, target, resumePosition) -> {
            try {
                Files.createDirectories(target);
                try (Stream<Path> files = Files.list(complete)) {
                    for (Path file : files.filter(f -> !f.getFileName().toString().endsWith(".sst")).toList()) {
                        Files.copy(file, target.resolve(file.getFileName()));
                    }
                }
                copying.countDown();
                never.await(); // the node stops here, before a table file arrives
                return ReplicaSeeds.Seeding.notSeeded("stopped");
            } catch (IOException | InterruptedException e) {
                return ReplicaSeeds.Seeding.notSeeded("stopped");
            }
        };
        ReplicaSeeding beforeStop = new ReplicaSeeding();
        beforeStop.use(stoppedMidway);
        AtomicBoolean stopped = new AtomicBoolean();
        open(beforeStop, command -> {
            if (!stopped.get()) {
                command.run();
            }
        });
        try {
            assertThat(opening.open(TP)).as("seeding").isNull();
            assertThat(copying.await(10, TimeUnit.SECONDS)).isTrue();
            stopped.set(true);

            open();
            PartitionReplica replica = opening.open(TP);

            assertThat(replica.resumedFrom()).isZero();
            assertThat(replica.read("k".getBytes(StandardCharsets.UTF_8))).isNull();
            assertThat(replica.origin()).isEqualTo("new here: full replay");
            assertThat(dir.resolve("replicas")).isDirectoryNotContaining("glob:**.seed");
        } finally {
            beforeStop.shutdown();
        }
    }

    @Test
    void aStoreWithAMissingTableFileIsWipedAndReplaysTheWholeLog() throws IOException {
        open();
        storeAt(17);
        try (Stream<Path> files = Files.list(held.storeDirectory(TP))) {
            List<Path> tables = files.filter(f -> f.getFileName().toString().endsWith(".sst")).toList();
            assertThat(tables).isNotEmpty();
            Files.delete(tables.get(0));
        }

        PartitionReplica replica = opening.open(TP);

        assertThat(replica.resumedFrom()).isZero();
        assertThat(replica.origin()).isEqualTo("store with missing or corrupt files wiped: full replay");
    }

    private void open() {
        open(new ReplicaSeeding(), Runnable::run);
    }

    /** A node's opening of replicas: its held replicas, seeding, and the applier's thread ({@code onApplier}). */
    private void open(ReplicaSeeding seeding, Consumer<Runnable> onApplier) {
        ReplicaSettings settings = new ReplicaSettings("localhost:9092", "test", dir, 8 << 20, 4 << 20, 64 << 10, 100, 100,
                MAX_RESUME_AGE);
        held = new HeldReplicas(settings, resources, null, new AtomicInteger(), new ReplicaDigests(),
                new ReplicaRebuilds(new SimpleMeterRegistry(), time), time);
        opening = new ReplicaOpening(settings, held, seeding, onApplier, time);
    }

    /** A store left by an earlier run of the node, at {@code position}, written now (by the test's clock). */
    private void storeAt(long position) {
        try (PartitionStore store = PartitionStore.open(held.storeDirectory(TP), resources, time);
             PartitionStore.Batch batch = store.newBatch()) {
            batch.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8));
            batch.commit(position);
        }
    }
}
