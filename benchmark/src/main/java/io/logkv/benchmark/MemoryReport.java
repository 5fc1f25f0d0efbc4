package io.logkv.benchmark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory this JVM uses: heap after a full collection (what stays live) and resident memory (heap,
 * RocksDB's native caches and memtables, code, threads). Brokers and nodes share the benchmark's JVM, so a
 * node's own share is the difference between two readings, one before it starts and one after its data
 * set is loaded.
 */
record MemoryReport(long heapAfterGcBytes, long residentBytes) {

    static MemoryReport now() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Pause.millis(200);
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return new MemoryReport(heap, currentResidentBytes());
    }

    /** VmRSS from /proc (Linux); -1 elsewhere. */
    static long currentResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }

    MemoryReport minus(MemoryReport before) {
        return new MemoryReport(heapAfterGcBytes - before.heapAfterGcBytes, residentBytes < 0 ? -1 : residentBytes - before.residentBytes);
    }

    static String mib(long bytes) {
        return bytes < 0 ? "unknown" : String.format(java.util.Locale.ROOT, "%,.0f MiB", bytes / 1048576.0);
    }
}
