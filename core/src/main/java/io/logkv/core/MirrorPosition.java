package io.logkv.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * How far the mirror has carried one partition of a truth topic from its home region into this region.
 * It is written into the target region's compacted topic {@link #TOPIC} in the same transaction as the
 * records it covers, so it is exactly as committed as they are: the mirror resumes from it after any
 * crash, and (later) tokens of the home region are translated through it.
 *
 * @param sourceRegion          the region the partition is mirrored from
 * @param topic                 the truth topic, named the same in both regions
 * @param partition             the partition, numbered the same in both regions
 * @param nextSourceOffset      the first source offset not yet mirrored (every record below it is)
 * @param lastTargetOffset      the offset in this region of the last record mirrored, -1 before the first
 * @param lastSourceTimestampMs the source timestamp of the last record mirrored, epoch ms; -1 before the first
 * @param caughtUpAtMs          when the mirror last found it had read the source partition to its end (at
 *                              {@code nextSourceOffset}), by the mirror's clock, epoch ms; -1 when unknown. The
 *                              mirror refreshes it every heartbeat while the partition is quiet, so that this
 *                              region can tell its copy's lag in time without traffic
 */
public record MirrorPosition(RegionName sourceRegion, String topic, int partition, long nextSourceOffset,
                             long lastTargetOffset, long lastSourceTimestampMs, long caughtUpAtMs) {

    /** The compacted topic, in the target region, holding the mirror's positions. */
    public static final String TOPIC = "logkv.mirror.positions";

    /** The format of the value this version writes. */
    public static final byte FORMAT = 2;
    /** The first format, without {@link #caughtUpAtMs()}; still read. */
    public static final byte FORMAT_1 = 1;

    private static final int VALUE_1_BYTES = 1 + 3 * Long.BYTES;
    private static final int VALUE_BYTES = 1 + 4 * Long.BYTES;
    private static final char SEPARATOR = '/';

    public MirrorPosition {
        if (topic == null || topic.isEmpty() || topic.indexOf(SEPARATOR) >= 0) {
            throw new IllegalArgumentException("not a topic name: " + topic);
        }
        if (partition < 0 || nextSourceOffset < 0 || lastTargetOffset < -1) {
            throw new IllegalArgumentException("negative partition or offset in a mirror position");
        }
    }

    /** A position without a caught-up time. */
    public MirrorPosition(RegionName sourceRegion, String topic, int partition, long nextSourceOffset, long lastTargetOffset,
                          long lastSourceTimestampMs) {
        this(sourceRegion, topic, partition, nextSourceOffset, lastTargetOffset, lastSourceTimestampMs, -1);
    }

    /** The same position, found caught up with the source at {@code atMs}. */
    public MirrorPosition caughtUpAt(long atMs) {
        return new MirrorPosition(sourceRegion, topic, partition, nextSourceOffset, lastTargetOffset, lastSourceTimestampMs, atMs);
    }

    /** The key: {@code <source region>/<topic>/<partition>} in UTF-8, one per mirrored partition and source. */
    public byte[] key() {
        return key(sourceRegion, topic, partition);
    }

    /** The key of a partition's position. */
    public static byte[] key(RegionName sourceRegion, String topic, int partition) {
        return (sourceRegion.value() + SEPARATOR + topic + SEPARATOR + partition).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The value: format (1 byte), next source offset, last target offset, last source timestamp, caught-up
     * time (8 bytes each).
     */
    public byte[] value() {
        return ByteBuffer.allocate(VALUE_BYTES).put(FORMAT).putLong(nextSourceOffset).putLong(lastTargetOffset)
                .putLong(lastSourceTimestampMs).putLong(caughtUpAtMs).array();
    }

    /**
     * Reads a position record.
     *
     * @throws IllegalArgumentException when the key or value is not one this format writes
     */
    public static MirrorPosition parse(byte[] key, byte[] value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("a mirror position needs a key and a value");
        }
        String text = new String(key, StandardCharsets.UTF_8);
        int first = text.indexOf(SEPARATOR);
        int last = text.lastIndexOf(SEPARATOR);
        if (first <= 0 || last <= first + 1 || last == text.length() - 1) {
            throw new IllegalArgumentException("not a mirror position key: " + text);
        }
        boolean formatOne = value.length == VALUE_1_BYTES && value[0] == FORMAT_1;
        if (!formatOne && (value.length != VALUE_BYTES || value[0] != FORMAT)) {
            throw new IllegalArgumentException("not a mirror position value of format " + FORMAT_1 + " or " + FORMAT
                    + " (" + value.length + " bytes)");
        }
        int partition;
        try {
            partition = Integer.parseInt(text.substring(last + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a mirror position key: " + text, e);
        }
        ByteBuffer in = ByteBuffer.wrap(value, 1, value.length - 1);
        return new MirrorPosition(new RegionName(text.substring(0, first)), text.substring(first + 1, last), partition,
                in.getLong(), in.getLong(), in.getLong(), formatOne ? -1 : in.getLong());
    }
}
