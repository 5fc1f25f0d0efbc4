package io.logkv.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Headers the mirror adds to every record it copies into another region's truth topic, after the source
 * record's own headers (which it keeps unchanged): where the record was written first, so that a reader in
 * the target region can map it back to its home region's log.
 */
public final class MirrorHeaders {

    /** The home region the record was mirrored from (UTF-8 region name). */
    public static final String SOURCE_REGION = "logkv.mirror.source-region";
    /** The record's offset in the source region's partition of the same number (8 bytes, big-endian). */
    public static final String SOURCE_OFFSET = "logkv.mirror.source-offset";

    private MirrorHeaders() {
    }

    public static Header sourceRegion(RegionName region) {
        return new RecordHeader(SOURCE_REGION, region.value().getBytes(StandardCharsets.UTF_8));
    }

    public static Header sourceOffset(long offset) {
        return new RecordHeader(SOURCE_OFFSET, ByteBuffer.allocate(Long.BYTES).putLong(offset).array());
    }

    /** The source offset a mirrored record carries, or -1 when it carries none (a record written in this region). */
    public static long sourceOffsetOf(Headers headers) {
        Header header = headers.lastHeader(SOURCE_OFFSET);
        if (header == null || header.value() == null || header.value().length != Long.BYTES) {
            return -1;
        }
        return ByteBuffer.wrap(header.value()).getLong();
    }

    /** The source region a mirrored record names, or null when it names none. */
    public static String sourceRegionOf(Headers headers) {
        Header header = headers.lastHeader(SOURCE_REGION);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
