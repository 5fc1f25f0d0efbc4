package io.logkv.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The first outcome of a write that carried an {@code Idempotency-Key}, as every replica remembers it.
 * The idempotency key travels in the truth record's header {@value #HEADER}, so a new owner after a
 * fail-over recognises a retry from the log alone.
 *
 * @param version       the version the write created
 * @param position      the log position covering it
 * @param writtenAtMs   when it was written (the record's timestamp), to bound the retry window
 * @param key           the data key it wrote
 */
public record IdempotentOutcome(Version version, long position, long writtenAtMs, byte[] key) {

    /** The record header carrying the idempotency key (UTF-8). */
    public static final String HEADER = "logkv.idempotency-key";
    /** The longest idempotency key accepted, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 256;

    /** The header for an idempotency key. */
    public static Header header(String idempotencyKey) {
        return new RecordHeader(HEADER, idempotencyKey.getBytes(StandardCharsets.UTF_8));
    }

    /** The idempotency key a record carries, or null. */
    public static byte[] keyOf(Headers headers) {
        Header header = headers.lastHeader(HEADER);
        return header == null ? null : header.value();
    }

    /** Whether this outcome is for {@code dataKey} and recent enough to answer a retry at {@code nowMs}. */
    public boolean answers(byte[] dataKey, long nowMs, long windowMs) {
        return Arrays.equals(key, dataKey) && nowMs - writtenAtMs <= windowMs;
    }

    public byte[] encode() {
        return ByteBuffer.allocate(Version.BYTES + 16 + key.length)
                .putLong(version.timestamp()).putInt(version.writer())
                .putLong(position).putLong(writtenAtMs).put(key).array();
    }

    public static IdempotentOutcome decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        Version version = new Version(in.getLong(), in.getInt());
        long position = in.getLong();
        long writtenAt = in.getLong();
        byte[] key = new byte[in.remaining()];
        in.get(key);
        return new IdempotentOutcome(version, position, writtenAt, key);
    }
}
