package io.logkv.materializer;

import java.util.Arrays;
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
    /** A varint32 takes at most five bytes. */
    private static final int MAX_VARINT_BYTES = 5;

    private byte[] bytes = new byte[4096];
    private int size = HEADER_BYTES;
    private int count;

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
        int prefixBytes = prefix == NO_PREFIX ? 0 : 1;
        reserve(1L + 2 * MAX_VARINT_BYTES + prefixBytes + key.length + (value == null ? 0 : value.length));
        bytes[size++] = type;
        writeVarint(prefixBytes + key.length);
        if (prefixBytes == 1) {
            bytes[size++] = (byte) prefix;
        }
        writeBytes(key);
        if (value != null) {
            writeVarint(value.length);
            writeBytes(value);
        }
        count++;
    }

    /** Changes added so far. */
    int count() {
        return count;
    }

    /** The changes as a native batch; the caller closes it. */
    WriteBatch toWriteBatch() {
        byte[] serialized = Arrays.copyOf(bytes, size);
        serialized[COUNT_OFFSET] = (byte) count;
        serialized[COUNT_OFFSET + 1] = (byte) (count >>> 8);
        serialized[COUNT_OFFSET + 2] = (byte) (count >>> 16);
        serialized[COUNT_OFFSET + 3] = (byte) (count >>> 24);
        return new WriteBatch(serialized);
    }

    private void reserve(long more) {
        long needed = size + more;
        if (needed > MAX_BYTES) {
            throw new IllegalStateException("a write batch cannot grow beyond " + MAX_BYTES + " bytes");
        }
        if (needed > bytes.length) {
            bytes = Arrays.copyOf(bytes, (int) Math.min(MAX_BYTES, Math.max(needed, 2L * bytes.length)));
        }
    }

    private void writeVarint(int value) {
        while ((value & ~0x7F) != 0) {
            bytes[size++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        bytes[size++] = (byte) value;
    }

    private void writeBytes(byte[] source) {
        System.arraycopy(source, 0, bytes, size, source.length);
        size += source.length;
    }
}
