package io.logkv.benchmark;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What one benchmark run measures (set by {@link BenchCommand}'s options).
 *
 * @param writeClients     concurrent closed-loop writers, one measurement each
 * @param readClients      concurrent closed-loop readers for the maximum read throughput
 * @param rateFractions    fractions of the maximum at which fixed-rate reads are measured
 * @param keys             keys loaded before reads
 * @param valueBytes       bytes of every value
 * @param partitions       partitions of the benchmark namespaces and topics
 * @param repeats          runs of every case; medians are reported
 * @param warmUp           untimed start of every run
 * @param measure          timed part of every run
 * @param sessionSamples   write-then-session-read pairs per repetition
 * @param url              a running node to measure instead of starting one, or null
 * @param bootstrapServers Kafka for the raw baselines when a node is given, or null
 * @param workDir          where nodes keep their replicas
 */
record BenchSettings(List<Integer> writeClients, int readClients, List<Double> rateFractions, long keys, int valueBytes,
                     int partitions, int repeats, Duration warmUp, Duration measure, int sessionSamples, String url,
                     String bootstrapServers, Path workDir) {
}
