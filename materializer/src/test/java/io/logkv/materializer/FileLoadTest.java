package io.logkv.materializer;

import io.logkv.core.ManualNodeTime;
import io.logkv.core.NamespaceName;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A store loaded by table files holds exactly what the same batches written through the memtable hold. */
class FileLoadTest {

    @TempDir
    Path dir;
    /** A small budget, so that a load ingests many files that overlap each other. */
    private final StoreResources resources = new StoreResources(8 << 20, 16 << 10, 64 << 10);
    private final ManualNodeTime time = new ManualNodeTime(1_700_000_000_000L);

    @AfterEach
    void close() {
        resources.close();
    }

    @Test
    void theSameBatchesLoadedByFilesOrWrittenThroughTheMemtableGiveTheSameContentsAndPosition() {
        try (PartitionStore written = PartitionStore.open(dir.resolve("written"), resources, time);
             PartitionStore loaded = PartitionStore.open(dir.resolve("loaded"), resources, time)) {
            loaded.startFileLoad();
            SplittableRandom random = new SplittableRandom(7);
            long position = 0;
            int ingestions = 0;
            for (int batchNo = 0; batchNo < 400; batchNo++) {
                // Puts (some of values up to 200 KB), overwrites, deletes and expiry tombstones over few keys, so that most keys change
                // within one staged load and across the files of the load; idempotency keys repeat, also
                // within one batch, where the first outcome must win.
                long seed = random.nextLong();
                position += 1 + random.nextInt(20);
                try (PartitionStore.Batch batch = written.newBatch()) {
                    changes(batch, seed);
                    batch.commit(position);
                }
                try (PartitionStore.Batch batch = loaded.newBatch()) {
                    changes(batch, seed);
                    batch.stage(loaded.fileLoad(), position, 1, 1, 0);
                }
                if (loaded.fileLoad().full()) {
                    // Written and ingested in the background while the next batches are staged; the next
                    // hand-off waits for it and tells what it made visible.
                    FileLoad.Loaded previous = loaded.fileLoad().handOff();
                    if (previous != null) {
                        assertThat(previous.position()).isLessThan(position);
                        ingestions++;
                    }
                }
            }
            assertThat(loaded.fileLoad().ingest().position()).isEqualTo(position);
            loaded.endFileLoad();
            assertThat(ingestions).as("files ingested before the last").isGreaterThan(5);
            assertThat(loaded.digest()).isEqualTo(written.digest());
        }
        assertThat(PartitionStore.inspect(dir.resolve("loaded")))
                .isEqualTo(PartitionStore.inspect(dir.resolve("written")));
    }

    @Test
    void stagedBatchesAndTheirPositionAreInvisibleUntilIngestedAndSurviveReopeningOnceTheyAre() {
        Path directory = dir.resolve("p0");
        try (PartitionStore store = PartitionStore.open(directory, resources, time)) {
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("a"), envelope("1", 1));
                batch.commit(10);
            }
            store.startFileLoad();
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("a"), envelope("2", 2));
                batch.put(bytes("b"), envelope("3", 3));
                batch.stage(store.fileLoad(), 12, 2, 2, 0);
            }
            assertThat(RecordEnvelope.decode(store.get(bytes("a"))).value()).as("staged, not visible").isEqualTo(bytes("1"));
            assertThat(store.get(bytes("b"))).isNull();
            store.flush();
            assertThat(PartitionStore.inspect(directory).position()).isEqualTo(10);

            FileLoad.Loaded loaded = store.fileLoad().ingest();
            assertThat(loaded).isEqualTo(new FileLoad.Loaded(12, 2, 2, 0));
            assertThat(RecordEnvelope.decode(store.get(bytes("a"))).value()).isEqualTo(bytes("2"));
            assertThat(RecordEnvelope.decode(store.get(bytes("b"))).value()).isEqualTo(bytes("3"));
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("c"), envelope("4", 4));
                batch.stage(store.fileLoad(), 13, 1, 1, 0);
            }
            // Closing drops what was staged since the last ingestion: the store stays at that ingestion's position.
        }
        try (PartitionStore store = PartitionStore.open(directory, resources, time)) {
            assertThat(store.persistedPosition()).isEqualTo(12);
            assertThat(RecordEnvelope.decode(store.get(bytes("a"))).value()).isEqualTo(bytes("2"));
            assertThat(store.get(bytes("c"))).isNull();
            assertThat(Files.exists(directory.resolve("file-load"))).as("staging files cleared").isFalse();
        }
    }

    @Test
    void aFileHandedOffBecomesVisibleWithItsPositionWhileTheNextBatchesAreStaged() throws Exception {
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, time)) {
            store.startFileLoad();
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("a"), envelope("1", 1));
                batch.stage(store.fileLoad(), 5, 1, 1, 0);
            }
            assertThat(store.fileLoad().handOff()).as("nothing was in flight before").isNull();
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("a"), envelope("2", 2));
                batch.stage(store.fileLoad(), 9, 1, 1, 0);
            }
            FileLoad.Loaded first = null;
            for (int i = 0; i < 500 && first == null; i++) {
                first = store.fileLoad().completed();
                Thread.sleep(10);
            }
            assertThat(first).isEqualTo(new FileLoad.Loaded(5, 1, 1, 0));
            assertThat(RecordEnvelope.decode(store.get(bytes("a"))).value()).as("the staged batch is not visible yet").isEqualTo(bytes("1"));
            assertThat(store.fileLoad().isEmpty()).isFalse();
            assertThat(store.fileLoad().ingest()).isEqualTo(new FileLoad.Loaded(9, 1, 1, 0));
            assertThat(RecordEnvelope.decode(store.get(bytes("a"))).value()).isEqualTo(bytes("2"));
            assertThat(store.fileLoad().isEmpty()).isTrue();
            assertThat(resources.fileLoadBytes()).as("nothing held once everything is ingested").isZero();
        }
    }

    @Test
    void aReplicaLoadsByFilesOnlyWhileFarBehindAndNotServingAndServesOnlyOnceWhatItStagedIsIn() {
        PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, time);
        PartitionReplica replica = new PartitionReplica(new NamespaceName("file-load"), 0, store, new AtomicInteger(), 100);
        replica.openedAgainst(60_000);
        replica.observeLag(60_000, 1_000);
        assertThat(store.fileLoad()).as("far behind and not serving: loads by files").isNotNull();
        try (PartitionStore.Batch batch = store.newBatch()) {
            batch.put(bytes("a"), envelope("1", 1));
            batch.stage(store.fileLoad(), 60_000, 1, 1, 0);
        }
        assertThat(replica.holdsStaged()).isTrue();
        assertThat(replica.appliedPosition()).as("the position waits for the file").isZero();

        // The fetch has reached the log's end; what was staged goes in before the replica serves.
        assertThat(replica.observeLag(0, 2_000)).isEqualTo(new FileLoad.Loaded(60_000, 1, 1, 0));
        assertThat(replica.serving()).isTrue();
        assertThat(replica.appliedPosition()).isEqualTo(60_000);
        assertThat(replica.read(bytes("a")).value()).isEqualTo(bytes("1"));
        assertThat(store.fileLoad()).isNull();

        // Serving, it writes through the memtable even when it falls far behind again.
        replica.observeLag(60_000, 3_000);
        assertThat(store.fileLoad()).isNull();
        replica.close(false);
    }

    /**
     * A digest is cut at an exact position. While batches are staged the store will show all of them at once
     * when they go in, so a digest at or below what is staged cannot be cut and is refused as passed; one beyond
     * waits, and one asked once the staged batches are in is taken at their position.
     */
    @Test
    void aDigestAtOrBelowWhatIsStagedIsRefusedAsPassedAndOneBeyondWaits() throws Exception {
        PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, time);
        PartitionReplica replica = new PartitionReplica(new NamespaceName("file-load"), 0, store, new AtomicInteger(), 100);
        org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition("logkv.truth.file-load", 0);
        ReplicaDigests digests = new ReplicaDigests();
        try {
            replica.openedAgainst(60_000);
            replica.observeLag(60_000, 1_000);
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("a"), envelope("1", 1));
                batch.stage(store.fileLoad(), 40_000, 1, 1, 0);
            }
            for (long position : new long[]{1, 39_999, 40_000}) {
                assertThatThrownBy(() -> digests.ask(tp, replica, position, new java.util.concurrent.CompletableFuture<>()))
                        .as("a digest at %d, with batches up to 40,000 staged", position)
                        .isInstanceOf(PositionPassedException.class);
            }
            java.util.concurrent.CompletableFuture<ReplicaDigest> beyond = new java.util.concurrent.CompletableFuture<>();
            digests.ask(tp, replica, 50_000, beyond);
            assertThat(digests.waiting(tp)).isTrue();
            assertThat(digests.nextCut(tp)).isEqualTo(50_000);

            assertThat(replica.ingestStaged()).isEqualTo(new FileLoad.Loaded(40_000, 1, 1, 0));
            assertThat(replica.appliedPosition()).isEqualTo(40_000);
            java.util.concurrent.CompletableFuture<ReplicaDigest> atTheFile = new java.util.concurrent.CompletableFuture<>();
            digests.ask(tp, replica, 40_000, atTheFile);
            assertThat(atTheFile.get(10, java.util.concurrent.TimeUnit.SECONDS).position()).isEqualTo(40_000);
            assertThat(beyond).as("still waiting for 50,000").isNotDone();
        } finally {
            digests.shutdown();
            replica.close(false);
        }
    }

    @Test
    void theFirstOutcomeWinsAlsoWhenItsFileWasStillInFlightWhenTheNextOneWasStaged() throws Exception {
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, time)) {
            store.startFileLoad();
            CountDownLatch release = new CountDownLatch(1);
            resources.fileLoadThread().submit(() -> {
                release.await();
                return null;
            });
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.rememberOutcome(bytes("idem"), bytes("outcome-1"));
                batch.stage(store.fileLoad(), 1, 1, 1, 0);
            }
            store.fileLoad().handOff();
            // The first file waits behind the held thread: the store does not show its outcome yet.
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.rememberOutcome(bytes("idem"), bytes("outcome-2"));
                batch.stage(store.fileLoad(), 2, 1, 1, 0);
            }
            release.countDown();
            assertThat(store.fileLoad().ingest().position()).isEqualTo(2);
            assertThat(store.idempotentOutcome(bytes("idem"))).isEqualTo(bytes("outcome-1"));
        }
    }

    @Test
    void afterAFileFailsNothingStagedLaterIsIngestedAndTheStoreKeepsItsLastFilesPosition() throws Exception {
        Path directory = dir.resolve("p0");
        try (PartitionStore store = PartitionStore.open(directory, resources, time)) {
            store.startFileLoad();
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("a"), envelope("1", 1));
                batch.stage(store.fileLoad(), 5, 1, 1, 0);
            }
            assertThat(store.fileLoad().ingest().position()).isEqualTo(5);
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("b"), envelope("2", 2));
                batch.stage(store.fileLoad(), 9, 1, 1, 0);
            }
            // Something in the way of the staging directory: the next file cannot be written.
            StoreFiles.deleteRecursively(directory.resolve("file-load"));
            Files.writeString(directory.resolve("file-load"), "in the way");
            assertThat(store.fileLoad().handOff()).isNull();
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("c"), envelope("3", 3));
                batch.stage(store.fileLoad(), 12, 1, 1, 0);
            }
            assertThatThrownBy(() -> store.fileLoad().handOff()).isInstanceOf(IllegalStateException.class);
            assertThat(store.fileLoad().failed()).isTrue();
            assertThat(store.fileLoad().isEmpty()).as("what was staged after the failed file is dropped").isTrue();
            try (PartitionStore.Batch batch = store.newBatch()) {
                assertThatThrownBy(() -> batch.stage(store.fileLoad(), 15, 1, 1, 0)).isInstanceOf(IllegalStateException.class);
            }
            assertThatThrownBy(() -> store.fileLoad().ingest()).isInstanceOf(IllegalStateException.class);
            assertThat(resources.fileLoadBytes()).isZero();
        }
        try (PartitionStore store = PartitionStore.open(directory, resources, time)) {
            assertThat(store.persistedPosition()).isEqualTo(5);
            assertThat(store.get(bytes("a"))).isNotNull();
            assertThat(store.get(bytes("b"))).isNull();
            assertThat(store.get(bytes("c"))).isNull();
        }
    }

    @Test
    void theFirstOutcomeOfAnIdempotencyKeyStagedTwiceInOneLoadWins() {
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, time)) {
            store.startFileLoad();
            for (int i = 1; i <= 3; i++) {
                try (PartitionStore.Batch batch = store.newBatch()) {
                    batch.rememberOutcome(bytes("idem"), bytes("outcome-" + i));
                    batch.stage(store.fileLoad(), i, 1, 1, 0);
                }
            }
            store.fileLoad().ingest();
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.rememberOutcome(bytes("idem"), bytes("outcome-4"));
                batch.stage(store.fileLoad(), 4, 1, 1, 0);
            }
            store.fileLoad().ingest();
            assertThat(store.idempotentOutcome(bytes("idem"))).isEqualTo(bytes("outcome-1"));
        }
    }

    private static void changes(PartitionStore.Batch batch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int changes = 1 + random.nextInt(30);
        for (int i = 0; i < changes; i++) {
            byte[] key = bytes("key-" + random.nextInt(200));
            switch (random.nextInt(7)) {
                case 0 -> batch.delete(key);
                case 1 -> {
                    long expiresAt = 1_000 + random.nextInt(5) * 1_000L;
                    batch.delete(key);
                    batch.forgetExpiry(expiresAt, key);
                }
                case 2 -> batch.rememberOutcome(bytes("idem-" + random.nextInt(40)), bytes("outcome-" + random.nextInt()));
                case 3 -> batch.put(key, new RecordEnvelope(new Version(random.nextInt(1_000), 1),
                        1_000 + random.nextInt(5) * 1_000L, "text/plain", bytes("v" + random.nextInt())).encode());
                case 4 -> batch.put(key, new RecordEnvelope(new Version(random.nextInt(1_000), 1), RecordEnvelope.NO_EXPIRY,
                        "application/octet-stream", new byte[random.nextInt(200_000)]).encode());
                default -> batch.put(key, envelope("v" + random.nextInt(), random.nextInt(1_000)));
            }
        }
        if (random.nextInt(10) == 0) {
            batch.ingestPosition(random.nextInt(1_000));
        }
    }

    private static byte[] envelope(String value, long version) {
        return new RecordEnvelope(new Version(version, 1), RecordEnvelope.NO_EXPIRY, "text/plain", bytes(value)).encode();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
