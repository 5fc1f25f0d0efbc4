package io.logkv.core;

import java.util.HexFormat;

/**
 * Identifies one write of one key, the same on every replica, after every rebuild and in every region,
 * because it is chosen by the writer and carried inside the record.
 *
 * @param timestamp a hybrid logical clock reading: milliseconds since the epoch in the high 48 bits, a
 *                  counter in the low 16 bits
 * @param writer    the identity of the writer that made it
 */
public record Version(long timestamp, int writer) implements Comparable<Version> {

    /** Bytes of the binary form. */
    public static final int BYTES = Long.BYTES + Integer.BYTES;

    private static final int TEXT_LENGTH = 24;

    /** The wall-clock time of the write, in epoch milliseconds. */
    public long writeTimeMillis() {
        return timestamp >>> HybridClock.COUNTER_BITS;
    }

    /** The text form used in {@code ETag} headers: 24 lower-case hex digits. */
    public String text() {
        // HexFormat, not String.format: this runs for every write and every read that finds a value.
        return HEX.toHexDigits(timestamp) + HEX.toHexDigits(writer);
    }

    private static final HexFormat HEX = HexFormat.of();

    /** Parses the text form; throws {@link IllegalArgumentException} when it is not one. */
    public static Version parse(String text) {
        if (text == null || text.length() != TEXT_LENGTH) {
            throw new IllegalArgumentException("a version is 24 hex digits");
        }
        try {
            return new Version(Long.parseUnsignedLong(text.substring(0, 16), 16),
                    Integer.parseUnsignedInt(text.substring(16), 16));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a version is 24 hex digits", e);
        }
    }

    @Override
    public int compareTo(Version other) {
        int byTime = Long.compareUnsigned(timestamp, other.timestamp);
        return byTime != 0 ? byTime : Integer.compareUnsigned(writer, other.writer);
    }

    @Override
    public String toString() {
        return text();
    }
}
