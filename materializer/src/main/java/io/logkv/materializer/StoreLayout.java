package io.logkv.materializer;

import io.logkv.core.MalformedEnvelopeException;
import io.logkv.core.RecordEnvelope;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * How a {@link PartitionStore} lays its keys out in RocksDB's one key space. Data keys are the record key
 * behind a {@code 0x01} byte; the first outcomes of writes that carried an idempotency key sit behind
 * {@code 0x02}; the expiry index (expiry time, big-endian, then the record key, so that the keys due first
 * come first) sits behind {@code 0x03}; the applied position and the store's other facts sit under keys
 * that start with {@code 0x00}.
 */
final class StoreLayout {

    static final byte[] POSITION_KEY = {0x00};
    static final byte[] INGEST_POSITION_KEY = {0x00, 0x01};
    static final byte[] APPLIED_AT_KEY = {0x00, 0x02};
    /** Present once the expiry index covers every value in the store (stores written before it get it built at open). */
    static final byte[] EXPIRY_INDEX_VERSION_KEY = {0x00, 0x03};
    static final byte[] EXPIRY_INDEX_V1 = {1};
    static final byte DATA_PREFIX = 0x01;
    static final byte IDEMPOTENCY_PREFIX = 0x02;
    static final byte EXPIRY_PREFIX = 0x03;
    static final byte[] NOTHING = new byte[0];

    private StoreLayout() {
    }

    static byte[] dataKey(byte[] key) {
        return prefixed(DATA_PREFIX, key);
    }

    static byte[] prefixed(byte prefix, byte[] key) {
        byte[] prefixed = new byte[key.length + 1];
        prefixed[0] = prefix;
        System.arraycopy(key, 0, prefixed, 1, key.length);
        return prefixed;
    }

    /** Whether a stored key is {@code storedPrefix} followed by a key that starts with {@code prefix}. */
    static boolean startsWith(byte[] stored, byte storedPrefix, byte[] prefix) {
        if (stored.length < 1 + prefix.length || stored[0] != storedPrefix) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (stored[1 + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** Bytewise, unsigned: RocksDB's order. */
    static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** The index key of {@code key} (from {@code from} on: 1 for a data key, 0 for a record key) expiring at {@code expiresAtMs}. */
    static byte[] expiryKey(long expiresAtMs, byte[] key, int from) {
        byte[] entry = new byte[1 + Long.BYTES + key.length - from];
        entry[0] = EXPIRY_PREFIX;
        ByteBuffer.wrap(entry, 1, Long.BYTES).putLong(expiresAtMs);
        System.arraycopy(key, from, entry, 1 + Long.BYTES, key.length - from);
        return entry;
    }

    /** The expiry time of an expiry index key. */
    static long expiryOfIndexKey(byte[] entry) {
        return ByteBuffer.wrap(entry, 1, Long.BYTES).getLong();
    }

    /** The record key of an expiry index key. */
    static byte[] keyOfIndexKey(byte[] entry) {
        return Arrays.copyOfRange(entry, 1 + Long.BYTES, entry.length);
    }

    /** The expiry of a stored envelope; none for bytes that are not a well-formed one (never stored by an owner). */
    static long expiryOf(byte[] envelope) {
        try {
            return RecordEnvelope.expiresAtOf(envelope);
        } catch (MalformedEnvelopeException e) {
            return RecordEnvelope.NO_EXPIRY;
        }
    }

    static byte[] encodeLong(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    /** A stored long, or 0 when absent. */
    static long decodeLong(byte[] stored) {
        return stored == null ? 0L : ByteBuffer.wrap(stored).getLong();
    }
}
