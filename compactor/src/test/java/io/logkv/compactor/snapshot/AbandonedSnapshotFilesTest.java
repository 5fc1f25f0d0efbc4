package io.logkv.compactor.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.logkv.core.NamespaceName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node stopped while it stored or deleted a snapshot leaves in the store (files of no manifest) is deleted
 * once it has been left untouched long enough, in the directory store and in the S3 store (a real S3 API server);
 * recent leftovers (a save under way on another node) and complete snapshots are kept.
 */
class AbandonedSnapshotFilesTest {

    private static final NamespaceName NS = new NamespaceName("orders");

    @TempDir
    Path dir;

    @Test
    void theDirectoryStoreDeletesIncompleteSavesAndHalfDeletedSnapshotsOnceOld() throws Exception {
        Path root = dir.resolve("snapshots");
        DirectorySnapshotStore store = new DirectorySnapshotStore(root);
        Path partition = root.resolve(NS.value()).resolve("0");
        leftovers(store, half -> {
            try {
                // A save stopped before its rename, and a deletion stopped after the manifest went.
                Path incomplete = Files.createDirectories(partition.resolve(".incomplete-" + Uuid.randomUuid()));
                Files.writeString(incomplete.resolve("000009.sst"), "table");
                Files.delete(partition.resolve(half.id()).resolve(SnapshotManifest.FILE_NAME));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, 2);
        try (var left = Files.list(partition)) {
            assertThat(left.map(path -> path.getFileName().toString()).toList()).as("only the complete snapshot").hasSize(1);
        }
    }

    @Test
    void theS3StoreDeletesObjectsOfNoManifestOnceOld() throws Exception {
        try (S3TestServer server = S3TestServer.start(dir.resolve("s3-data"));
             S3SnapshotStore store = server.store("logkv/snapshots")) {
            String partition = "logkv/snapshots/" + NS.value() + "/0/";
            leftovers(store, half -> {
                // A save stopped before its manifest, and a deletion stopped after it.
                server.blobs().putBlob(S3TestServer.BUCKET, server.blobs().blobBuilder(partition + "00000000000000000099-1/000009.sst")
                        .payload("table".getBytes(StandardCharsets.UTF_8)).build());
                server.blobs().removeBlob(S3TestServer.BUCKET, partition + half.id() + "/" + SnapshotManifest.FILE_NAME);
            }, 2);
            List<String> keys = server.blobs().list(S3TestServer.BUCKET, org.jclouds.blobstore.options.ListContainerOptions.Builder
                    .prefix(partition).recursive()).stream().map(org.jclouds.blobstore.domain.StorageMetadata::getName).toList();
            assertThat(keys).as("only the complete snapshot's objects").allMatch(key -> key.contains("/00000000000000000010-"));
        }
    }

    /**
     * Saves a complete snapshot and one that {@code leave} half deletes (with whatever else it leaves), then checks that
     * recent leftovers are kept, old ones deleted ({@code expected} of them), and the complete snapshot kept whole.
     */
    private void leftovers(SnapshotStore store, Consumer<SnapshotManifest> leave, int expected) throws Exception {
        SnapshotManifest complete = save(store, 10);
        SnapshotManifest half = save(store, 20);
        leave.accept(half);

        assertThat(store.deleteAbandoned(NS, 0, Instant.now().minus(Duration.ofHours(1)))).as("recent: perhaps a save under way").isZero();
        assertThat(store.deleteAbandoned(NS, 0, Instant.now().plus(Duration.ofMinutes(1)))).isEqualTo(expected);
        assertThat(store.deleteAbandoned(NS, 0, Instant.now().plus(Duration.ofMinutes(1)))).as("nothing left to delete").isZero();

        assertThat(store.list(NS, 0)).containsExactly(complete);
        Path loaded = dir.resolve("loaded-" + System.nanoTime());
        store.load(complete, loaded);
        assertThat(Files.readString(loaded.resolve("000001.sst"))).isEqualTo("table of 10");
        assertThat(store.deleteAbandoned(NS, 1, Instant.now().plus(Duration.ofMinutes(1)))).as("a partition with nothing stored").isZero();
    }

    private SnapshotManifest save(SnapshotStore store, long position) throws Exception {
        Path files = Files.createDirectories(dir.resolve("checkpoint-" + position));
        Files.writeString(files.resolve("000001.sst"), "table of " + position);
        Files.writeString(files.resolve("CURRENT"), "MANIFEST-000001\n");
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (String name : List.of("000001.sst", "CURRENT")) {
            sizes.put(name, Files.size(files.resolve(name)));
        }
        SnapshotManifest manifest = new SnapshotManifest(NS, 0, Uuid.randomUuid(), position, "digest-" + position,
                SnapshotManifest.FORMAT_ROCKSDB_V1, System.currentTimeMillis(), sizes);
        store.save(manifest, files);
        return manifest;
    }
}
