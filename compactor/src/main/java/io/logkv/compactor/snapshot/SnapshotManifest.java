package io.logkv.compactor.snapshot;

import io.logkv.core.NamespaceName;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.Uuid;

/**
 * What a snapshot is: a copy of one partition replica's store at an exact log position, with the digest of
 * its contents there (the same digest replicas compare) and the format of its files.
 *
 * @param namespace   the namespace
 * @param partition   the partition
 * @param topicId     the id of the truth topic the copy was taken from: a topic deleted and created again under the
 *                    same name (a namespace deleted and created again) has another, and another log; null in
 *                    manifests written before ids were recorded
 * @param position    the log position the copy has applied: replay resumes there
 * @param digest      the content digest at that position
 * @param format      the format of the files ({@link #FORMAT_ROCKSDB_V1}); a store refuses formats it does not know
 * @param createdAtMs when the copy was taken (epoch ms): how old the position is
 * @param files       the files of the copy and their sizes, by name
 */
public record SnapshotManifest(NamespaceName namespace, int partition, Uuid topicId, long position, String digest, int format,
                               long createdAtMs, Map<String, Long> files) {

    /** A RocksDB checkpoint of a replica store with its position key and expiry index (version 1). */
    public static final int FORMAT_ROCKSDB_V1 = 1;
    /** The name of the manifest among a snapshot's files. */
    public static final String FILE_NAME = "manifest.properties";

    public SnapshotManifest {
        files = Map.copyOf(files);
    }

    /** The snapshot's name, unique per partition and sorting by position: {@code <position, 20 digits>-<created-at>}. */
    public String id() {
        return String.format("%020d-%d", position, createdAtMs);
    }

    /** The manifest as text (Java properties). */
    public String encode() {
        StringBuilder text = new StringBuilder();
        text.append("namespace=").append(namespace.value()).append('\n')
                .append("partition=").append(partition).append('\n');
        if (topicId != null) {
            text.append("topicId=").append(topicId).append('\n');
        }
        text.append("position=").append(position).append('\n')
                .append("digest=").append(digest).append('\n')
                .append("format=").append(format).append('\n')
                .append("createdAtMs=").append(createdAtMs).append('\n');
        new TreeMap<>(files).forEach((name, size) -> text.append("file.").append(name).append('=').append(size).append('\n'));
        return text.toString();
    }

    /** Reads a manifest written by {@link #encode()}; throws {@link IllegalArgumentException} for anything else. */
    public static SnapshotManifest decode(String text) {
        Properties fields = new Properties();
        try {
            fields.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            String topicId = fields.getProperty("topicId");
            Map<String, Long> files = new TreeMap<>();
            for (String name : fields.stringPropertyNames()) {
                if (name.startsWith("file.")) {
                    files.put(name.substring("file.".length()), Long.parseLong(fields.getProperty(name)));
                }
            }
            return new SnapshotManifest(new NamespaceName(fields.getProperty("namespace")),
                    Integer.parseInt(fields.getProperty("partition")),
                    topicId == null ? null : Uuid.fromString(topicId),
                    Long.parseLong(fields.getProperty("position")),
                    required(fields, "digest"),
                    Integer.parseInt(fields.getProperty("format")),
                    Long.parseLong(fields.getProperty("createdAtMs")),
                    files);
        } catch (NullPointerException | NumberFormatException e) {
            throw new IllegalArgumentException("not a snapshot manifest: " + e.getMessage(), e);
        }
    }

    private static String required(Properties fields, String name) {
        String value = fields.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the manifest has no " + name);
        }
        return value;
    }
}
