package io.logkv.materializer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionStoreTest {

    @TempDir
    Path dir;
    private final StoreResources resources = new StoreResources(8 << 20, 4 << 20, 64 << 10);

    @AfterEach
    void close() {
        resources.close();
    }

    @Test
    void positionIsPersistedWithTheDataAndSurvivesReopening() {
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources)) {
            assertThat(store.persistedPosition()).isZero();
            apply(store, 17, "a", "1", "b", "2");
        }
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources)) {
            assertThat(store.persistedPosition()).isEqualTo(17);
            assertThat(new String(store.get(bytes("a")), StandardCharsets.UTF_8)).isEqualTo("1");
            assertThat(store.get(bytes("missing"))).isNull();
        }
    }

    @Test
    void theBatchPositionKeyIsNotAKey() {
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources)) {
            apply(store, 5, "k", "v");
            assertThat(store.get(new byte[0])).isNull();
        }
    }

    @Test
    void digestsDependOnContentsNotOnHistory() {
        String first;
        String second;
        try (PartitionStore a = PartitionStore.open(dir.resolve("a"), resources)) {
            apply(a, 3, "x", "1", "y", "2");
            try (PartitionStore.Batch batch = a.newBatch()) {
                batch.put(bytes("z"), bytes("3"));
                batch.delete(bytes("z"));
                batch.commit(5);
            }
            first = a.digest();
        }
        try (PartitionStore b = PartitionStore.open(dir.resolve("b"), resources)) {
            apply(b, 9, "y", "2", "x", "1");
            second = b.digest();
            apply(b, 10, "x", "changed");
            assertThat(b.digest()).isNotEqualTo(second);
        }
        assertThat(first).isEqualTo(second);
    }

    @Test
    void largeValuesRoundTripThroughBlobFiles() {
        byte[] big = new byte[512 * 1024];
        new java.util.Random(1).nextBytes(big);
        try (PartitionStore store = PartitionStore.open(dir.resolve("big"), resources)) {
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("big"), big);
                batch.commit(1);
            }
            store.flush();
            assertThat(store.get(bytes("big"))).isEqualTo(big);
        }
    }

    private static void apply(PartitionStore store, long position, String... keyValues) {
        try (PartitionStore.Batch batch = store.newBatch()) {
            for (int i = 0; i < keyValues.length; i += 2) {
                batch.put(bytes(keyValues[i]), bytes(keyValues[i + 1]));
            }
            batch.commit(position);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
