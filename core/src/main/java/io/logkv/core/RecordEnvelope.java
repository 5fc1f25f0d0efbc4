package io.logkv.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary form of a live value, as it is stored in the truth topic and, byte for byte, in every
 * replica. A delete is not an envelope: it is a Kafka tombstone whose headers carry the version.
 *
 * <pre>
 * offset size  field
 *  0      1    magic 0x4C ('L')
 *  1      1    format version (1)
 *  2      1    flags: bit 0 = has expiry
 *  3      8    version timestamp (hybrid clock, big-endian)
 * 11      4    version writer
 * 15      8    expires-at, epoch ms (only when flag bit 0 is set)
 *  .      1    content type length n (0..255)
 *  .      n    content type, US-ASCII
 *  .      *    value bytes (the rest of the record)
 * </pre>
 *
 * @param version     the write's version
 * @param expiresAtMs epoch milliseconds after which the value reads as absent, or {@link #NO_EXPIRY}
 * @param contentType the media type sent with the value
 * @param value       the value bytes
 */
public record RecordEnvelope(Version version, long expiresAtMs, String contentType, byte[] value) {

    public static final long NO_EXPIRY = 0L;
    public static final byte MAGIC = 0x4C;
    public static final byte FORMAT_V1 = 1;
    /** The longest content type the envelope holds. */
    public static final int MAX_CONTENT_TYPE_BYTES = 255;

    private static final int FLAG_EXPIRY = 1;
    private static final int FIXED_HEADER = 3 + Version.BYTES;

    /** Content types common enough that a decode shares one String for them instead of making its own. */
    private static final String[] COMMON_TYPES = {"application/octet-stream", "text/plain", "application/json",
            "text/plain; charset=utf-8", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"};
    private static final byte[][] COMMON_TYPE_BYTES = java.util.Arrays.stream(COMMON_TYPES)
            .map(type -> type.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    public RecordEnvelope {
        if (contentType.length() > MAX_CONTENT_TYPE_BYTES || !isAscii(contentType)) {
            throw new IllegalArgumentException("content type must be at most 255 ASCII characters");
        }
    }

    private static boolean isAscii(String text) {
        for (String common : COMMON_TYPES) {
            if (text == common) {
                return true; // shared by a decode: known to be ASCII
            }
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** The content type held in {@code bytes[offset, offset + length)}: a shared String when it is a common one. */
    private static String contentType(byte[] bytes, int offset, int length) {
        for (int i = 0; i < COMMON_TYPE_BYTES.length; i++) {
            byte[] common = COMMON_TYPE_BYTES[i];
            if (common.length == length && java.util.Arrays.equals(bytes, offset, offset + length, common, 0, length)) {
                return COMMON_TYPES[i];
            }
        }
        return new String(bytes, offset, length, StandardCharsets.US_ASCII);
    }

    /** Whether the value has expired at {@code nowMs}. */
    public boolean isExpiredAt(long nowMs) {
        return expiresAtMs != NO_EXPIRY && nowMs >= expiresAtMs;
    }

    /** Encodes into the binary form above. */
    public byte[] encode() {
        byte[] type = contentType.getBytes(StandardCharsets.US_ASCII);
        boolean expires = expiresAtMs != NO_EXPIRY;
        ByteBuffer out = ByteBuffer.allocate(FIXED_HEADER + (expires ? Long.BYTES : 0) + 1 + type.length + value.length);
        out.put(MAGIC).put(FORMAT_V1).put((byte) (expires ? FLAG_EXPIRY : 0));
        out.putLong(version.timestamp()).putInt(version.writer());
        if (expires) {
            out.putLong(expiresAtMs);
        }
        out.put((byte) type.length).put(type).put(value);
        return out.array();
    }

    /** Decodes the binary form; throws {@link MalformedEnvelopeException} for anything else. */
    public static RecordEnvelope decode(byte[] bytes) {
        if (bytes == null || bytes.length < FIXED_HEADER + 1) {
            throw new MalformedEnvelopeException("too short to be an envelope");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (in.get() != MAGIC) {
            throw new MalformedEnvelopeException("not an envelope (bad magic byte)");
        }
        byte format = in.get();
        if (format != FORMAT_V1) {
            throw new MalformedEnvelopeException("unknown envelope format " + format);
        }
        int flags = in.get();
        Version version = new Version(in.getLong(), in.getInt());
        long expiresAt = NO_EXPIRY;
        if ((flags & FLAG_EXPIRY) != 0) {
            if (in.remaining() < Long.BYTES + 1) {
                throw new MalformedEnvelopeException("truncated expiry");
            }
            expiresAt = in.getLong();
        }
        int typeLength = Byte.toUnsignedInt(in.get());
        if (in.remaining() < typeLength) {
            throw new MalformedEnvelopeException("truncated content type");
        }
        String type = contentType(bytes, in.position(), typeLength);
        in.position(in.position() + typeLength);
        byte[] value = new byte[in.remaining()];
        in.get(value);
        return new RecordEnvelope(version, expiresAt, type, value);
    }

    /** The version of an encoded envelope without decoding the value (used on hot paths). */
    public static Version versionOf(byte[] bytes) {
        if (bytes == null || bytes.length < FIXED_HEADER || bytes[0] != MAGIC) {
            throw new MalformedEnvelopeException("not an envelope");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, 3, Version.BYTES);
        return new Version(in.getLong(), in.getInt());
    }

    /** The expiry of an encoded envelope ({@link #NO_EXPIRY} when it has none), without decoding the value. */
    public static long expiresAtOf(byte[] bytes) {
        if (bytes == null || bytes.length < FIXED_HEADER + 1 || bytes[0] != MAGIC) {
            throw new MalformedEnvelopeException("not an envelope");
        }
        if ((bytes[2] & FLAG_EXPIRY) == 0) {
            return NO_EXPIRY;
        }
        if (bytes.length < FIXED_HEADER + Long.BYTES + 1) {
            throw new MalformedEnvelopeException("truncated expiry");
        }
        return ByteBuffer.wrap(bytes, FIXED_HEADER, Long.BYTES).getLong();
    }
}
