package io.logkv.materializer;

import io.logkv.core.ManualNodeTime;
import io.logkv.core.RecordEnvelope;
import io.logkv.core.Version;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.TableProperties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void aStoreRemembersWhenItLastAppliedAPositionByItsClockNotWhenItsIndexWasTidied() {
        ManualNodeTime time = new ManualNodeTime(1_700_000_000_000L);
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, time)) {
            assertThat(store.persistedAppliedAtMs()).as("a new store").isZero();
            apply(store, 17, "a", "1");
            time.advance(Duration.ofHours(3));
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.forgetExpiry(1_000, bytes("a"));
                batch.commitWithoutPosition();
            }
        }
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources, time)) {
            assertThat(store.persistedAppliedAtMs()).isEqualTo(1_700_000_000_000L);
        }
    }

    @Test
    void valuesWithAnExpiryAreIndexedByTimeAndAnExpiryTombstoneDropsTheirEntry() {
        try (PartitionStore store = PartitionStore.open(dir.resolve("p0"), resources)) {
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("late"), envelope(3_000));
                batch.put(bytes("early"), envelope(1_000));
                batch.put(bytes("never"), envelope(RecordEnvelope.NO_EXPIRY));
                batch.commit(3);
            }
            assertThat(keys(store.expiriesDue(2_000, 10))).containsExactly("early");
            assertThat(keys(store.expiriesDue(5_000, 10))).containsExactly("early", "late");
            assertThat(keys(store.expiriesDue(5_000, 1))).containsExactly("early");
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.delete(bytes("early"));
                batch.forgetExpiry(1_000, bytes("early"));
                batch.commit(4);
            }
            assertThat(keys(store.expiriesDue(5_000, 10))).containsExactly("late");
            assertThat(store.digest()).as("the index is not content").isEqualTo(digestOf(dir.resolve("same"), "late", 3_000, "never", 0));
        }
    }

    @Test
    void aStoreWrittenBeforeTheExpiryIndexGetsItBuiltWhenOpened() throws Exception {
        Path old = dir.resolve("old");
        java.nio.file.Files.createDirectories(old);
        try (org.rocksdb.Options options = new org.rocksdb.Options().setCreateIfMissing(true);
             org.rocksdb.RocksDB db = org.rocksdb.RocksDB.open(options, old.toString())) {
            db.put(new byte[] {0x00}, java.nio.ByteBuffer.allocate(8).putLong(12).array());
            db.put(prefixed("expiring"), envelope(4_000));
            db.put(prefixed("lasting"), envelope(RecordEnvelope.NO_EXPIRY));
        }
        try (PartitionStore store = PartitionStore.open(old, resources)) {
            assertThat(store.persistedPosition()).isEqualTo(12);
            assertThat(keys(store.expiriesDue(Long.MAX_VALUE, 10))).containsExactly("expiring");
            assertThat(store.hasExpiryEntry(4_000, bytes("expiring"))).isTrue();
        }
    }

    /**
     * A store whose table file is corrupt in the middle: RocksDB's iterator stops there as if at the end. A digest or a
     * scan must fail rather than pass a part of the store for the whole (two replicas would compare digests of unequal
     * reads, a snapshot's manifest would name a partial digest).
     */
    @Test
    void aDigestOrAScanOfAStoreWithACorruptBlockFailsInsteadOfReadingPartOfIt() throws Exception {
        Path path = dir.resolve("p0");
        java.util.Random random = new java.util.Random(7);
        try (PartitionStore store = PartitionStore.open(path, resources)) {
            for (int batch = 0; batch < 20; batch++) {
                String[] keyValues = new String[200];
                for (int i = 0; i < keyValues.length; i += 2) {
                    keyValues[i] = String.format("key-%02d-%03d", batch, i);
                    keyValues[i + 1] = new java.math.BigInteger(1200, random).toString(36);
                }
                apply(store, batch + 1, keyValues);
            }
            store.flush();
        }
        Path table;
        try (var files = java.nio.file.Files.list(path)) {
            table = files.filter(f -> f.getFileName().toString().endsWith(".sst")).findFirst().orElseThrow();
        }
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(table, java.nio.file.StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap(new byte[64]), file.size() / 2);
        }
        try (PartitionStore store = PartitionStore.open(path, resources)) {
            assertThatThrownBy(store::digest).isInstanceOf(StoreDamagedException.class).hasMessageContaining("digest");
            assertThatThrownBy(() -> store.scan(bytes("key-"), null, 10_000)).isInstanceOf(StoreDamagedException.class);
        }
    }

    private String digestOf(Path path, String key1, long expiry1, String key2, long expiry2) {
        try (PartitionStore store = PartitionStore.open(path, resources)) {
            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes(key1), envelope(expiry1));
                batch.put(bytes(key2), envelope(expiry2));
                batch.commit(1);
            }
            return store.digest();
        }
    }

    private static byte[] envelope(long expiresAt) {
        return new RecordEnvelope(new Version(1, 1), expiresAt, "text/plain", bytes("v")).encode();
    }

    private static byte[] prefixed(String key) {
        byte[] raw = bytes(key);
        byte[] data = new byte[raw.length + 1];
        data[0] = 0x01;
        System.arraycopy(raw, 0, data, 1, raw.length);
        return data;
    }

    private static java.util.List<String> keys(java.util.List<PartitionStore.ExpiryEntry> entries) {
        return entries.stream().map(e -> new String(e.key(), StandardCharsets.UTF_8)).toList();
    }

    /**
     * A read's position is exact while a batch is being written: before the batch is in the store, the read
     * neither sees it nor claims its position (a watch from that token would skip it); once it is in, before the
     * replica's position moves, the read sees it and claims it; once the position has moved, likewise.
     */
    @Test
    void aReadNamesExactlyThePositionItReflectsWhileABatchIsWritten() {
        try (PartitionStore store = PartitionStore.open(dir.resolve("exact"), resources)) {
            PartitionReplica replica = replicaAt100(store, "k");
            assertThat(replica.readPositioned(bytes("k")).position()).isEqualTo(100);

            replica.writing(152); // the applier's order: note the position, write the batch, then move the position
            PartitionReplica.PositionedRead before = replica.readPositioned(bytes("k"));
            assertThat(before.envelope().expiresAtMs()).as("the old value").isEqualTo(RecordEnvelope.NO_EXPIRY);
            assertThat(before.position()).as("not the batch it did not see").isEqualTo(100);

            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("k"), envelope(5_000));
                batch.commit(152);
            }
            PartitionReplica.PositionedRead during = replica.readPositioned(bytes("k"));
            assertThat(during.envelope().expiresAtMs()).as("the batch's value, visible before the position moves").isEqualTo(5_000);
            assertThat(during.position()).isEqualTo(152);

            replica.applied(152, 1, 0);
            assertThat(replica.readPositioned(bytes("k")).position()).isEqualTo(152);

            // Past transaction markers without records (persisted later), then a batch being written: the read
            // claims the position reached, though the store's stored position still says 152.
            replica.advancedWithoutRecords(160);
            replica.writing(170);
            assertThat(replica.readPositioned(bytes("k")).position()).isEqualTo(160);
        }
    }

    /** A replica of {@code store} that has applied one batch, {@code key} without expiry, up to position 100. */
    private static PartitionReplica replicaAt100(PartitionStore store, String key) {
        PartitionReplica replica = new PartitionReplica(new io.logkv.core.NamespaceName("ns"), 0, store,
                new java.util.concurrent.atomic.AtomicInteger(), 10);
        replica.writing(100);
        try (PartitionStore.Batch batch = store.newBatch()) {
            batch.put(bytes(key), envelope(RecordEnvelope.NO_EXPIRY));
            batch.commit(100);
        }
        replica.applied(100, 1, 0);
        return replica;
    }

    /** A scan's page names exactly the position it reflects too, its pages all read from one view. */
    @Test
    void aScanNamesExactlyThePositionItReflectsWhileABatchIsWritten() {
        try (PartitionStore store = PartitionStore.open(dir.resolve("exact-scan"), resources)) {
            PartitionReplica replica = replicaAt100(store, "a");

            replica.writing(152);
            PartitionReplica.ScannedPage before = replica.scan(bytes(""), null, 10, Long.MAX_VALUE, 0);
            assertThat(before.values()).hasSize(1);
            assertThat(before.position()).as("not the batch it did not see").isEqualTo(100);

            try (PartitionStore.Batch batch = store.newBatch()) {
                batch.put(bytes("b"), envelope(RecordEnvelope.NO_EXPIRY));
                batch.commit(152);
            }
            PartitionReplica.ScannedPage during = replica.scan(bytes(""), null, 10, Long.MAX_VALUE, 0);
            assertThat(during.values()).as("the batch, visible before the position moves").hasSize(2);
            assertThat(during.position()).isEqualTo(152);

            replica.applied(152, 1, 0);
            replica.advancedWithoutRecords(160);
            assertThat(replica.scan(bytes(""), null, 10, Long.MAX_VALUE, 0).position()).as("past markers, not persisted yet").isEqualTo(160);
        }
    }

    /**
     * A scan's page holds no more values than its bound in bytes (at least one, whatever its size), expired values
     * count toward nothing, and paging on from the last key reads every live key once; {@code more} says when a page
     * ended at a bound with keys to come.
     */
    @Test
    void aScanPageEndsAtItsBoundInBytesAndPagingOnReadsEveryLiveKeyOnce() {
        try (PartitionStore store = PartitionStore.open(dir.resolve("bounded-scan"), resources)) {
            PartitionReplica replica = replicaAt100(store, "other");
            replica.writing(110);
            try (PartitionStore.Batch batch = store.newBatch()) {
                for (int i = 0; i < 10; i++) {
                    // 100 bytes each; key 3 larger than the bound; keys 5 and 6 expired, their 5,000 bytes counting for nothing.
                    int size = i == 3 ? 1_000 : i == 5 || i == 6 ? 5_000 : 100;
                    long expiry = i == 5 || i == 6 ? 1 : RecordEnvelope.NO_EXPIRY;
                    batch.put(bytes("k" + i), new RecordEnvelope(new Version(1, i + 1), expiry, "text/plain", new byte[size]).encode());
                }
                batch.commit(110);
            }
            replica.applied(110, 10, 0);

            java.util.List<java.util.List<String>> pages = new java.util.ArrayList<>();
            byte[] after = null;
            boolean more = true;
            while (more) {
                PartitionReplica.ScannedPage page = replica.scan(bytes("k"), after, 1000, 250, 10);
                java.util.List<String> keys = page.values().stream().map(v -> new String(v.key(), StandardCharsets.UTF_8)).toList();
                pages.add(keys);
                more = page.more();
                after = page.values().get(page.values().size() - 1).key();
            }
            assertThat(pages).containsExactly(java.util.List.of("k0", "k1"), java.util.List.of("k2"), java.util.List.of("k3"),
                    java.util.List.of("k4", "k7"), java.util.List.of("k8", "k9"));
            assertThat(replica.scan(bytes("k"), null, 3, Long.MAX_VALUE, 10).more()).as("ended at its limit of keys").isTrue();
            assertThat(replica.scan(bytes("k"), bytes("k7"), 2, Long.MAX_VALUE, 10).more()).as("the last keys, exactly").isFalse();
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

    @Test
    void flushesStayUncompressedAndCompactionCompressesWhatItMovesDown() throws RocksDBException {
        Path path = dir.resolve("p0");
        try (PartitionStore store = PartitionStore.open(path, resources)) {
            for (int batch = 0; batch < 10; batch++) {
                String[] keyValues = new String[200];
                for (int i = 0; i < keyValues.length; i += 2) {
                    keyValues[i] = "key-" + batch + "-" + i;
                    keyValues[i + 1] = "a value that compresses well ".repeat(20);
                }
                apply(store, batch + 1, keyValues);
            }
            store.flush();
        }
        assertThat(compressionOfTables(path)).containsOnly("NoCompression");
        // The store's own options; forced, so that the level-0 file is rewritten rather than moved down as it is.
        try (Options options = resources.newOptions(); RocksDB db = RocksDB.open(options, path.toString());
             CompactRangeOptions force = new CompactRangeOptions()
                     .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
            db.compactRange(db.getDefaultColumnFamily(), null, null, force);
        }
        assertThat(compressionOfTables(path)).containsOnly("LZ4");
    }

    private static java.util.Collection<String> compressionOfTables(Path path) throws RocksDBException {
        try (Options options = new Options(); RocksDB db = RocksDB.openReadOnly(options, path.toString())) {
            Map<String, TableProperties> tables = db.getPropertiesOfAllTables();
            assertThat(tables).isNotEmpty();
            return tables.values().stream().map(TableProperties::getCompressionName).toList();
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
