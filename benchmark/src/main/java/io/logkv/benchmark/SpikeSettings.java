package io.logkv.benchmark;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What the rebuild spike measures, read from system properties so one command line reproduces a run.
 *
 * @param partitions    partitions of each truth topic ({@code spike.partitions}, default 6)
 * @param sizes         record counts, one truth topic each, smallest first ({@code spike.records},
 *                      default {@code 100000,500000}: the smaller size checks that rates hold as the log grows)
 * @param valueBytes    value bytes per record before the envelope ({@code spike.valueBytes}, default 1024)
 * @param repeats       runs of every case; the median is reported ({@code spike.repeats}, default 3)
 * @param warmUps       untimed runs of every case on the first topic, for the JIT ({@code spike.warmUps}, default 1)
 * @param streamThreads Kafka Streams thread counts to measure ({@code spike.streamThreads}, default {@code 1,2})
 * @param workDir       where replica stores and Streams state go ({@code spike.workDir}, default a temp dir)
 */
record SpikeSettings(int partitions, List<Long> sizes, int valueBytes, int repeats, int warmUps, List<Integer> streamThreads, Path workDir) {

    static SpikeSettings fromSystemProperties() {
        String workDir = System.getProperty("spike.workDir");
        return new SpikeSettings(
                Integer.getInteger("spike.partitions", 6),
                Arrays.stream(System.getProperty("spike.records", "100000,500000").split(","))
                        .map(String::strip).map(Long::parseLong).sorted().toList(),
                Integer.getInteger("spike.valueBytes", 1024),
                Integer.getInteger("spike.repeats", 3),
                Integer.getInteger("spike.warmUps", 1),
                Arrays.stream(System.getProperty("spike.streamThreads", "1,2").split(","))
                        .map(String::strip).filter(s -> !s.isEmpty()).map(Integer::parseInt).toList(),
                workDir == null ? null : Path.of(workDir));
    }

    /** The system properties that reproduce these settings. */
    String asProperties() {
        return "-Dspike.partitions=" + partitions
                + " -Dspike.records=" + String.join(",", sizes.stream().map(String::valueOf).toList())
                + " -Dspike.valueBytes=" + valueBytes
                + " -Dspike.repeats=" + repeats
                + " -Dspike.warmUps=" + warmUps
                + " -Dspike.streamThreads=" + String.join(",", streamThreads.stream().map(String::valueOf).toList());
    }
}
