package io.logkv.compactor.snapshot;

import io.logkv.core.NamespaceName;
import io.logkv.materializer.PartitionStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Snapshots in a directory: {@code <root>/<namespace>/<partition>/<snapshot id>/}, holding the store's files
 * and {@code manifest.properties}. A snapshot is assembled under a hidden name and renamed into place in
 * one atomic step, so readers (other nodes on a shared volume) see it whole or not at all.
 */
public final class DirectorySnapshotStore implements SnapshotStore {

    private final Path root;

    /** The name a snapshot is assembled under, before it is renamed into place. */
    private static final String INCOMPLETE = ".incomplete-";

    public DirectorySnapshotStore(Path root) {
        this.root = root;
    }

    @Override
    public void save(SnapshotManifest manifest, Path directory) {
        Path partitionDir = partitionDirectory(manifest.namespace(), manifest.partition());
        Path incomplete = partitionDir.resolve(INCOMPLETE + UUID.randomUUID());
        try {
            Files.createDirectories(incomplete);
            for (String file : manifest.files().keySet()) {
                linkOrCopy(directory.resolve(file), incomplete.resolve(file));
            }
            Files.writeString(incomplete.resolve(SnapshotManifest.FILE_NAME), manifest.encode(), StandardCharsets.UTF_8);
            Files.move(incomplete, partitionDir.resolve(manifest.id()), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            PartitionStore.deleteRecursively(incomplete);
            throw new UncheckedIOException("could not store snapshot " + manifest.id() + " in " + partitionDir, e);
        }
    }

    @Override
    public List<SnapshotManifest> list(NamespaceName namespace, int partition) {
        Path partitionDir = partitionDirectory(namespace, partition);
        if (!Files.isDirectory(partitionDir)) {
            return List.of();
        }
        List<SnapshotManifest> found = new ArrayList<>();
        try (Stream<Path> children = Files.list(partitionDir)) {
            for (Path child : children.filter(c -> !c.getFileName().toString().startsWith(".")).toList()) {
                Path manifest = child.resolve(SnapshotManifest.FILE_NAME);
                try {
                    found.add(SnapshotManifest.decode(Files.readString(manifest, StandardCharsets.UTF_8)));
                } catch (IOException | IllegalArgumentException e) {
                    // Not a snapshot (or one being deleted): not listed.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list snapshots in " + partitionDir, e);
        }
        found.sort(Comparator.comparingLong(SnapshotManifest::position).thenComparingLong(SnapshotManifest::createdAtMs).reversed());
        return found;
    }

    @Override
    public void load(SnapshotManifest manifest, Path target) {
        Path source = partitionDirectory(manifest.namespace(), manifest.partition()).resolve(manifest.id());
        try {
            Files.createDirectories(target);
            for (String file : manifest.files().keySet()) {
                Files.deleteIfExists(target.resolve(file));
                linkOrCopy(source.resolve(file), target.resolve(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not load snapshot " + manifest.id() + " from " + source, e);
        }
    }

    @Override
    public void delete(SnapshotManifest manifest) {
        Path snapshot = partitionDirectory(manifest.namespace(), manifest.partition()).resolve(manifest.id());
        try {
            Files.deleteIfExists(snapshot.resolve(SnapshotManifest.FILE_NAME));
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete snapshot " + snapshot, e);
        }
        PartitionStore.deleteRecursively(snapshot);
    }

    /** Incomplete saves ({@code .incomplete-*}) and snapshot directories without a manifest, unchanged since {@code before}. */
    @Override
    public int deleteAbandoned(NamespaceName namespace, int partition, Instant before) {
        Path partitionDir = partitionDirectory(namespace, partition);
        if (!Files.isDirectory(partitionDir)) {
            return 0;
        }
        int deleted = 0;
        try (Stream<Path> children = Files.list(partitionDir)) {
            for (Path child : children.filter(Files::isDirectory).toList()) {
                boolean abandoned = child.getFileName().toString().startsWith(INCOMPLETE)
                        || !Files.exists(child.resolve(SnapshotManifest.FILE_NAME));
                if (abandoned && lastChange(child).isBefore(before)) {
                    PartitionStore.deleteRecursively(child);
                    deleted++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + partitionDir, e);
        }
        return deleted;
    }

    /** The latest change to a directory or to any file in it (a copy under way changes them). */
    private static Instant lastChange(Path directory) throws IOException {
        Instant latest = Files.getLastModifiedTime(directory).toInstant();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                try {
                    Instant changed = Files.getLastModifiedTime(file).toInstant();
                    latest = changed.isAfter(latest) ? changed : latest;
                } catch (java.nio.file.NoSuchFileException gone) {
                    // deleted meanwhile
                }
            }
        }
        return latest;
    }

    @Override
    public String location() {
        return root.toString();
    }

    /**
     * Hard-links RocksDB's immutable data files (table and blob files, never changed once written; a store
     * deletes them, it does not rewrite them) when source and target share a file system, and copies
     * everything else (the manifest, the current-file pointer, options), which a store that opens the copy
     * may rewrite.
     */
    static void linkOrCopy(Path source, Path target) throws IOException {
        String name = source.getFileName().toString();
        if (name.endsWith(".sst") || name.endsWith(".blob")) {
            try {
                Files.createLink(target, source);
                return;
            } catch (IOException | UnsupportedOperationException e) {
                // Another file system (a shared volume, say): copy.
            }
        }
        Files.copy(source, target);
    }

    /** The files of a directory by name, with their sizes (a checkpoint is flat). */
    static Map<String, Long> filesOf(Path directory) {
        Map<String, Long> files = new LinkedHashMap<>();
        try (Stream<Path> children = Files.list(directory)) {
            for (Path file : children.filter(Files::isRegularFile).sorted().toList()) {
                files.put(file.getFileName().toString(), Files.size(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not list " + directory, e);
        }
        return files;
    }

    private Path partitionDirectory(NamespaceName namespace, int partition) {
        return root.resolve(namespace.value()).resolve(Integer.toString(partition));
    }
}
