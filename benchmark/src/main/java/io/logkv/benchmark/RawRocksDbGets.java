package io.logkv.benchmark;

import io.logkv.core.KeyPartitioner;
import io.logkv.core.NamespaceName;
import io.logkv.materializer.PartitionStore;
import io.logkv.materializer.StoreResources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The storage floor of the read path: point gets straight from the replica stores a stopped node left,
 * opened with LogKV's own {@link PartitionStore} and its default cache sizes, in this process, no HTTP.
 */
final class RawRocksDbGets implements AutoCloseable {

    // LogKV's defaults (query-service ReplicaProperties), as the node served them.
    private static final long BLOCK_CACHE_BYTES = 256L * 1024 * 1024;
    private static final long WRITE_BUFFER_BYTES = 64L * 1024 * 1024;
    private static final long MIN_BLOB_BYTES = 64L * 1024;

    private final StoreResources resources = new StoreResources(BLOCK_CACHE_BYTES, WRITE_BUFFER_BYTES, MIN_BLOB_BYTES);
    private final List<PartitionStore> stores = new ArrayList<>();

    /** Opens the stores of every partition of {@code namespace} under a node's data directory. */
    RawRocksDbGets(Path nodeDataDir, NamespaceName namespace, int partitions) {
        for (int p = 0; p < partitions; p++) {
            Path directory = nodeDataDir.resolve("replicas").resolve(namespace.truthTopic() + "-" + p);
            if (!Files.isDirectory(directory)) {
                throw new IllegalStateException("no replica store at " + directory);
            }
            stores.add(PartitionStore.open(directory, resources));
        }
    }

    /** Reads one key; fails when it is not there. */
    void get(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        if (stores.get(KeyPartitioner.partitionOf(bytes, stores.size())).get(bytes) == null) {
            throw new IllegalStateException("raw get found no " + key);
        }
    }

    @Override
    public void close() {
        stores.forEach(PartitionStore::close);
        resources.close();
    }
}
