package io.logkv.core;

/**
 * A position in one partition of a namespace's truth topic: every record at an offset below
 * {@code nextOffset} is included. A replica that has applied position P reflects every committed write
 * before P; a write stored at offset o is covered by position o + 1.
 *
 * @param partition  the partition
 * @param nextOffset the first offset not included
 */
public record LogPosition(int partition, long nextOffset) {

    public LogPosition {
        if (partition < 0 || nextOffset < 0) {
            throw new IllegalArgumentException("partition and offset must not be negative");
        }
    }

    /** The position that covers the record stored at {@code offset}. */
    public static LogPosition covering(int partition, long offset) {
        return new LogPosition(partition, offset + 1);
    }
}
