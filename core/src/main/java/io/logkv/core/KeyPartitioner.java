package io.logkv.core;

import org.apache.kafka.common.utils.Utils;

/**
 * Maps key bytes to a partition exactly as Kafka's default partitioner does for a keyed record, so a
 * plain Kafka producer writing the same key lands on the same partition as LogKV's own writer.
 */
public final class KeyPartitioner {

    private KeyPartitioner() {
    }

    /** The partition of {@code keyBytes} among {@code partitions} partitions. */
    public static int partitionOf(byte[] keyBytes, int partitions) {
        if (partitions <= 0) {
            throw new IllegalArgumentException("partitions must be positive: " + partitions);
        }
        return Utils.toPositive(Utils.murmur2(keyBytes)) % partitions;
    }
}
