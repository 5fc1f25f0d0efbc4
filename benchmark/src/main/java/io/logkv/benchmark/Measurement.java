package io.logkv.benchmark;

/**
 * One timed run of one case.
 *
 * @param records      records that reached the reader (or the store)
 * @param payloadBytes key and value bytes of those records
 * @param nanos        wall time of the run
 * @param startupNanos wall time until the first record arrived: the fixed cost of starting, paid
 *                     whatever the log's size, which dominates small rebuilds
 * @param cpuUse       who used the CPU during the run ({@link CpuSample})
 */
record Measurement(long records, long payloadBytes, long nanos, long startupNanos, CpuSample.Use cpuUse) {

    double seconds() {
        return nanos / 1e9;
    }

    double recordsPerSecond() {
        return records / seconds();
    }

    double megabytesPerSecond() {
        return payloadBytes / seconds() / (1024.0 * 1024.0);
    }
}
