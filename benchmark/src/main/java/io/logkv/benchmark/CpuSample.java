package io.logkv.benchmark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * CPU time used so far by the whole machine and by each thread of this JVM, read from Linux's /proc.
 * Two samples around a run tell where its time went: on two cores shared by three brokers, RocksDB's
 * background threads, the reader and other people's builds, wall time is largely a question of who had
 * the CPU. Native threads (RocksDB's) appear too, which a Java profiler would not show, and so does the
 * time each thread spent ready to run but waiting for a core.
 */
final class CpuSample {

    /** Linux's USER_HZ: /proc/stat reports CPU time in these ticks on every mainstream distribution. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long machineBusyTicks;
    private final Map<String, long[]> threads;

    private CpuSample(long machineBusyTicks, Map<String, long[]> threads) {
        this.machineBusyTicks = machineBusyTicks;
        this.threads = threads;
    }

    /** A sample, or null where /proc is not there to read. */
    static CpuSample take() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
            long busy = 0;
            for (int i = 1; i <= 8 && i < cpu.length; i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(cpu[i]);
                }
            }
            Map<String, long[]> threads = new HashMap<>();
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                tasks.forEach(task -> readThread(task, threads));
            }
            return new CpuSample(busy, threads);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Adds a thread's {running, waiting for a core} nanoseconds under its (folded) name. */
    private static void readThread(Path task, Map<String, long[]> threads) {
        try {
            // Thread names are cut to 15 characters by the kernel; numbers are folded so that, say,
            // every broker's request handlers add up under one name.
            String name = Files.readString(task.resolve("comm")).strip().replaceAll("[0-9]+", "#");
            String[] schedstat = Files.readString(task.resolve("schedstat")).strip().split(" ");
            long[] sum = threads.computeIfAbsent(name, n -> new long[2]);
            sum[0] += Long.parseLong(schedstat[0]);
            sum[1] += Long.parseLong(schedstat[1]);
        } catch (IOException | RuntimeException e) {
            // the thread ended while it was being read
        }
    }

    /**
     * Who used the CPU during a run.
     *
     * @param description    cores busy on the machine, in this JVM, and in its busiest threads
     * @param jvmCoreSeconds CPU time this JVM's threads (brokers included) used: less sensitive than wall
     *                       time to what other processes on a shared machine do; NaN when unknown
     */
    record Use(String description, double jvmCoreSeconds) {
        static final Use UNKNOWN = new Use("", Double.NaN);
    }

    /** Who used the CPU from {@code before} (taken when a run started) to now (when it ended). */
    static Use since(CpuSample before, long runNanos) {
        CpuSample now = take();
        if (now == null || before == null) {
            return Use.UNKNOWN;
        }
        return new Use(now.describeSince(before, runNanos), now.jvmNanosSince(before) / 1e9);
    }

    private long jvmNanosSince(CpuSample before) {
        long total = 0;
        for (Map.Entry<String, long[]> e : threads.entrySet()) {
            total += Math.max(0, e.getValue()[0] - before.threads.getOrDefault(e.getKey(), new long[2])[0]);
        }
        return total;
    }

    /**
     * Cores busy on average over {@code runNanos} since {@code before}, for the machine, this JVM and its
     * busiest thread groups (with the cores' worth of time they spent waiting for one). Threads that
     * ended in between are missed, so the JVM's share is a floor.
     */
    private String describeSince(CpuSample before, long runNanos) {
        Map<String, long[]> used = new HashMap<>();
        threads.forEach((name, now) -> {
            long[] then = before.threads.getOrDefault(name, new long[2]);
            long running = now[0] - then[0];
            if (running > 0) {
                used.put(name, new long[] {running, now[1] - then[1]});
            }
        });
        double seconds = runNanos / 1e9;
        double machine = (machineBusyTicks - before.machineBusyTicks) / TICKS_PER_SECOND / seconds;
        double jvm = used.values().stream().mapToLong(t -> t[0]).sum() / (double) runNanos;
        String top = used.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(5)
                .map(e -> String.format(Locale.ROOT, "%s %.2f/%.2f", e.getKey(),
                        e.getValue()[0] / (double) runNanos, e.getValue()[1] / (double) runNanos))
                .collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "cores busy: machine %.2f of %d, this JVM %.2f, other processes %.2f; "
                        + "busiest threads (cores running/waiting for a core): %s",
                machine, Runtime.getRuntime().availableProcessors(), jvm, Math.max(0, machine - jvm), top);
    }
}
