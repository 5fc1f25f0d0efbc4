package io.logkv.materializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.rocksdb.Checkpoint;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;

/**
 * Store directories as files: copies of a store (checkpoints, restored snapshots) made, and read and checked
 * without opening them as replicas; content digests; deletion.
 */
final class StoreFiles {

    private StoreFiles() {
    }

    /** Writes a consistent copy of an open store into {@code target}, which must not exist (RocksDB's checkpoint). */
    static void checkpoint(RocksDB db, Path directory, Path target) {
        try (Checkpoint checkpoint = Checkpoint.create(db)) {
            checkpoint.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new IllegalStateException("could not checkpoint " + directory + " into " + target, e);
        }
    }

    /** The position and content digest of a store copy, read without changing it. */
    static PartitionStore.Contents inspect(Path directory) {
        try (Options options = new Options();
             RocksDB db = RocksDB.openReadOnly(options, directory.toString())) {
            byte[] position = db.get(StoreLayout.POSITION_KEY);
            try (ReadOptions read = new ReadOptions().setFillCache(false)) {
                return new PartitionStore.Contents(StoreLayout.decodeLong(position), digestOf(db, read));
            }
        } catch (RocksDBException e) {
            throw new IllegalStateException("could not read the store copy in " + directory, e);
        }
    }

    /** Checks every block of every file of a store copy against its checksum; returns the position it has applied. */
    static long verify(Path directory) {
        try (Options options = new Options();
             RocksDB db = RocksDB.openReadOnly(options, directory.toString())) {
            db.verifyChecksum();
            return StoreLayout.decodeLong(db.get(StoreLayout.POSITION_KEY));
        } catch (RocksDBException e) {
            throw new IllegalStateException("the store copy in " + directory + " is not intact: " + e.getMessage(), e);
        }
    }

    /** SHA-256 over every (key length, value length, key, value) of the data keys, in key order, as {@code read} sees them. */
    static String digestOf(RocksDB db, ReadOptions read) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer lengths = ByteBuffer.allocate(8);
        try (RocksIterator it = db.newIterator(read)) {
            for (it.seek(new byte[] {StoreLayout.DATA_PREFIX}); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (key[0] != StoreLayout.DATA_PREFIX) {
                    break;
                }
                byte[] value = it.value();
                lengths.clear();
                lengths.putInt(key.length - 1).putInt(value.length);
                sha.update(lengths.array());
                sha.update(key, 1, key.length - 1);
                sha.update(value);
            }
            checkIterated(it, "a digest of the store");
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * Ends an iteration over a store: an iterator that fails to read (a corrupt block, an I/O error) stops as if it had
     * reached the end, and only its status tells the two apart. Throws {@link StoreDamagedException} for missing or
     * corrupt files, {@link IllegalStateException} for any other failure, so that no partial read passes for a whole one.
     */
    static void checkIterated(RocksIterator it, String reading) {
        try {
            it.status();
        } catch (RocksDBException e) {
            String message = reading + " stopped short: " + e.getMessage();
            throw damaged(e) ? new StoreDamagedException(message, e) : new IllegalStateException(message, e);
        }
    }

    /**
     * Whether RocksDB failed because files of a store are missing or corrupt (a table file or the manifest absent,
     * a size or checksum mismatch), not for want of space or permissions.
     */
    static boolean damaged(RocksDBException e) {
        Status status = e.getStatus();
        if (status == null) {
            return false;
        }
        // RocksDB's Java status has no code for a missing file: its IO error says so in words.
        return status.getCode() == Status.Code.Corruption
                || (status.getCode() == Status.Code.IOError && String.valueOf(e.getMessage()).contains("No such file or directory"));
    }

    /** Deletes a directory and everything in it; nothing when it does not exist. */
    static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + directory, e);
        }
    }
}
