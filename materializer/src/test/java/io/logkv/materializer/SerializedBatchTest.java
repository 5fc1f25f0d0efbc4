package io.logkv.materializer;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import static org.assertj.core.api.Assertions.assertThat;

class SerializedBatchTest {

    static {
        RocksDB.loadLibrary();
    }

    @TempDir
    Path dir;

    @Test
    void aBatchAssembledInJavaIsByteForByteTheBatchRocksDbBuildsFromTheSameChanges() throws RocksDBException {
        SplittableRandom random = new SplittableRandom(7);
        SerializedBatch ours = new SerializedBatch();
        try (WriteBatch theirs = new WriteBatch()) {
            // Lengths on both sides of each varint width (1, 2, 3 and 4 bytes), and empty keys and values.
            int[] lengths = {0, 1, 126, 127, 128, 1_024, 16_383, 16_384, 70_000, 2_097_151, 2_097_152};
            for (int keyLength : new int[] {0, 5, 127, 128, 300}) {
                for (int valueLength : lengths) {
                    byte[] key = bytes(random, keyLength);
                    byte[] value = bytes(random, valueLength);
                    ours.put(key, value);
                    theirs.put(key, value);
                    ours.put(StoreLayout.DATA_PREFIX, key, value);
                    theirs.put(StoreLayout.prefixed(StoreLayout.DATA_PREFIX, key), value);
                }
                byte[] key = bytes(random, keyLength);
                ours.delete(key);
                theirs.delete(key);
                ours.delete(StoreLayout.IDEMPOTENCY_PREFIX, key);
                theirs.delete(StoreLayout.prefixed(StoreLayout.IDEMPOTENCY_PREFIX, key));
            }
            try (WriteBatch assembled = ours.toWriteBatch()) {
                assertThat(assembled.count()).isEqualTo(theirs.count()).isEqualTo(ours.count());
                assertThat(assembled.data()).isEqualTo(theirs.data());
            }
        }
    }

    @Test
    void aStoreWritesWhatTheAssembledBatchSaysAndItsCountBeyondOneByte() throws RocksDBException {
        SerializedBatch batch = new SerializedBatch();
        for (int i = 0; i < 70_000; i++) {
            batch.put(StoreLayout.DATA_PREFIX, key(i), ("value-" + i).getBytes());
        }
        batch.delete(StoreLayout.DATA_PREFIX, key(3));
        try (Options options = new Options().setCreateIfMissing(true);
             RocksDB db = RocksDB.open(options, dir.toString());
             WriteOptions write = new WriteOptions();
             WriteBatch assembled = batch.toWriteBatch()) {
            assertThat(assembled.count()).isEqualTo(70_001);
            db.write(write, assembled);
            assertThat(db.get(StoreLayout.prefixed(StoreLayout.DATA_PREFIX, key(69_999)))).isEqualTo("value-69999".getBytes());
            assertThat(db.get(StoreLayout.prefixed(StoreLayout.DATA_PREFIX, key(0)))).isEqualTo("value-0".getBytes());
            assertThat(db.get(StoreLayout.prefixed(StoreLayout.DATA_PREFIX, key(3)))).as("deleted after its put in the same batch").isNull();
            assertThat(db.getLatestSequenceNumber()).isEqualTo(70_001);
        }
    }

    private static byte[] key(int i) {
        return ("key-" + i).getBytes();
    }

    private static byte[] bytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }
}
