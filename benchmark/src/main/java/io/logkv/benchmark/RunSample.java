package io.logkv.benchmark;

import org.HdrHistogram.Histogram;

/**
 * One timed run of one case at one load.
 *
 * @param opsPerSecond          completed operations per second of wall time
 * @param p50Micros             median latency
 * @param p99Micros             99th percentile latency
 * @param p999Micros            99.9th percentile latency
 * @param ops                   operations that succeeded
 * @param errors                operations that failed (not in the latencies)
 * @param recordsPerTransaction mean writes per Kafka transaction, NaN where it does not apply
 */
public record RunSample(double opsPerSecond, double p50Micros, double p99Micros, double p999Micros, long ops, long errors,
                        double recordsPerTransaction) {

    /** A run summarised from its latencies, recorded in nanoseconds. */
    public static RunSample of(Histogram nanos, long errors, long wallNanos, double recordsPerTransaction) {
        long ops = nanos.getTotalCount();
        return new RunSample(ops / (wallNanos / 1e9), nanos.getValueAtPercentile(50) / 1e3,
                nanos.getValueAtPercentile(99) / 1e3, nanos.getValueAtPercentile(99.9) / 1e3, ops, errors,
                recordsPerTransaction);
    }

    /** This run with the mean writes per transaction filled in. */
    public RunSample withRecordsPerTransaction(double perTransaction) {
        return new RunSample(opsPerSecond, p50Micros, p99Micros, p999Micros, ops, errors, perTransaction);
    }
}
