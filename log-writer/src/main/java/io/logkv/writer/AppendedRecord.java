package io.logkv.writer;

/**
 * Where Kafka stored an acknowledged, committed record.
 *
 * @param partition the partition
 * @param offset    the record's offset
 */
public record AppendedRecord(int partition, long offset) {
}
