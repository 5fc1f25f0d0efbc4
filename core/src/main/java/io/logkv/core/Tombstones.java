package io.logkv.core;

import java.nio.ByteBuffer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * A delete is a Kafka tombstone (a null value), so that compaction removes the key; its version rides
 * in a header so that replicas, rebuilds and mirrors can still name the write that removed it.
 */
public final class Tombstones {

    /** The header that carries a tombstone's version ({@link Version#BYTES} bytes). */
    public static final String VERSION_HEADER = "logkv.version";

    /**
     * The header of an expiry tombstone: the expiry (epoch ms, 8 bytes) of the value it reclaims, so that a
     * replica can drop the value's entry from its expiry index without reading the value first.
     */
    public static final String EXPIRED_AT_HEADER = "logkv.expired-at";

    private Tombstones() {
    }

    /** The header of an expiry tombstone for a value that expired at {@code expiresAtMs}. */
    public static Header expiredAtHeader(long expiresAtMs) {
        return new RecordHeader(EXPIRED_AT_HEADER, ByteBuffer.allocate(Long.BYTES).putLong(expiresAtMs).array());
    }

    /** The expiry an expiry tombstone reclaims, or 0 when the tombstone is a client's delete. */
    public static long expiredAtOf(Headers headers) {
        Header header = headers.lastHeader(EXPIRED_AT_HEADER);
        if (header == null || header.value() == null || header.value().length != Long.BYTES) {
            return 0;
        }
        return ByteBuffer.wrap(header.value()).getLong();
    }

    /** The header naming {@code version}. */
    public static Header versionHeader(Version version) {
        return new RecordHeader(VERSION_HEADER,
                ByteBuffer.allocate(Version.BYTES).putLong(version.timestamp()).putInt(version.writer()).array());
    }

    /** The version a tombstone carries, or null when it carries none (a delete by a foreign producer). */
    public static Version versionOf(Headers headers) {
        Header header = headers.lastHeader(VERSION_HEADER);
        if (header == null || header.value() == null || header.value().length != Version.BYTES) {
            return null;
        }
        ByteBuffer in = ByteBuffer.wrap(header.value());
        return new Version(in.getLong(), in.getInt());
    }
}
