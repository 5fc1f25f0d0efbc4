package io.logkv.materializer;

import java.util.ArrayList;
import java.util.List;
import org.rocksdb.WriteBatch;

/**
 * A RocksDB write batch assembled in Java, in RocksDB's own serialized form, and handed to RocksDB in one
 * call. Adding each change to a native {@link WriteBatch} costs a JNI call and two native copies per key
 * and value; a replay applies hundreds of thousands of records a second, and those calls were a third of
 * its time. Only the default column family's puts and deletes are written, which is all a store uses.
 *
 * <p>The form is the one RocksDB writes to its WAL and documents in {@code db/write_batch.cc}: a 12-byte
 * header (sequence number, fixed 64-bit, filled in by the write; record count, fixed 32-bit, both
 * little-endian), then per change a type byte ({@code 0x01} put, {@code 0x00} delete) and the key (and for
 * a put the value), each as a varint32 length and its bytes. {@code SerializedBatchTest} checks it against
 * the batches RocksDB builds itself.
 *
 * <p>Changes are kept by reference until {@link #toWriteBatch}, which writes them once into an array of the exact
 * size: grown by doubling as changes came, a batch of a thousand 1 KiB values was copied about twice more in Java,
 * through arrays large enough for the collector to treat specially, and building batches took a quarter of a
 * replay. So the key and value arrays given to it must not change until the batch is turned into a native one.
 */
final class SerializedBatch {

    private static final int HEADER_BYTES = 12;
    private static final int COUNT_OFFSET = 8;
    private static final byte TYPE_DELETION = 0x00;
    private static final byte TYPE_VALUE = 0x01;
    /** The largest array a JVM reliably allocates. */
    private static final int MAX_BYTES = Integer.MAX_VALUE - 8;
    /** What {@link #add} takes for a key written as it is (a prefix is a byte, 0-255 as an int). */
    private static final int NO_PREFIX = -1;

    /** One change, by reference: its type, the key's one-byte prefix or {@link #NO_PREFIX}, the key, and a put's value. */
    private record Change(byte type, int prefix, byte[] key, byte[] value) {
    }

    private final List<Change> changes = new ArrayList<>();
    private long size = HEADER_BYTES;

    /** Adds a put of {@code key} behind the one-byte {@code prefix}. */
    void put(byte prefix, byte[] key, byte[] value) {
        add(TYPE_VALUE, prefix, key, value);
    }

    /** Adds a put of {@code key} as it is. */
    void put(byte[] key, byte[] value) {
        add(TYPE_VALUE, NO_PREFIX, key, value);
    }

    /** Adds a delete of {@code key} behind the one-byte {@code prefix}. */
    void delete(byte prefix, byte[] key) {
        add(TYPE_DELETION, prefix, key, null);
    }

    /** Adds a delete of {@code key} as it is. */
    void delete(byte[] key) {
        add(TYPE_DELETION, NO_PREFIX, key, null);
    }

    /** One change: its type, then the key (behind {@code prefix} unless {@link #NO_PREFIX}), then the value of a put. */
    private void add(byte type, int prefix, byte[] key, byte[] value) {
        int keyBytes = (prefix == NO_PREFIX ? 0 : 1) + key.length;
        long bytes = 1L + varintBytes(keyBytes) + keyBytes + (value == null ? 0 : varintBytes(value.length) + value.length);
        if (size + bytes > MAX_BYTES) {
            throw new IllegalStateException("a write batch cannot grow beyond " + MAX_BYTES + " bytes");
        }
        changes.add(new Change(type, prefix, key, value));
        size += bytes;
    }

    /** Changes added so far. */
    int count() {
        return changes.size();
    }

    /** Receives a batch's changes in order, each with its key as the store holds it (behind its prefix). */
    interface ChangeSink {
        /** One change: a put when {@code value} is not null, else a delete. */
        void change(byte[] storedKey, byte[] value);
    }

    /** Hands every change, in the order added, to {@code sink}. */
    void forEach(ChangeSink sink) {
        for (Change change : changes) {
            byte[] key = change.key();
            if (change.prefix() != NO_PREFIX) {
                byte[] stored = new byte[1 + key.length];
                stored[0] = (byte) change.prefix();
                System.arraycopy(key, 0, stored, 1, key.length);
                key = stored;
            }
            sink.change(key, change.type() == TYPE_VALUE ? change.value() : null);
        }
    }

    /** Bytes the batch would take in RocksDB's serialized form: about what its changes hold. */
    long size() {
        return size;
    }

    /** The changes as a native batch; the caller closes it. */
    WriteBatch toWriteBatch() {
        Writer out = new Writer(new byte[(int) size]);
        out.position = COUNT_OFFSET;
        int count = changes.size();
        out.bytes[out.position++] = (byte) count;
        out.bytes[out.position++] = (byte) (count >>> 8);
        out.bytes[out.position++] = (byte) (count >>> 16);
        out.bytes[out.position++] = (byte) (count >>> 24);
        for (Change change : changes) {
            out.bytes[out.position++] = change.type();
            if (change.prefix() == NO_PREFIX) {
                out.varint(change.key().length);
            } else {
                out.varint(1 + change.key().length);
                out.bytes[out.position++] = (byte) change.prefix();
            }
            out.copy(change.key());
            if (change.value() != null) {
                out.varint(change.value().length);
                out.copy(change.value());
            }
        }
        if (out.position != size) {
            throw new IllegalStateException("a write batch sized for " + size + " bytes was written with " + out.position);
        }
        return new WriteBatch(out.bytes);
    }

    private static int varintBytes(int value) {
        int bytes = 1;
        while ((value & ~0x7F) != 0) {
            bytes++;
            value >>>= 7;
        }
        return bytes;
    }

    /** Writes into an array sized for everything written. */
    private static final class Writer {
        private final byte[] bytes;
        private int position;

        private Writer(byte[] bytes) {
            this.bytes = bytes;
        }

        private void varint(int value) {
            while ((value & ~0x7F) != 0) {
                bytes[position++] = (byte) ((value & 0x7F) | 0x80);
                value >>>= 7;
            }
            bytes[position++] = (byte) value;
        }

        private void copy(byte[] source) {
            System.arraycopy(source, 0, bytes, position, source.length);
            position += source.length;
        }
    }
}
