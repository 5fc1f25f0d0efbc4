package io.logkv.benchmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * N clients, each issuing its next operation as soon as the previous one answered: the maximum
 * throughput a path sustains at that concurrency, and the latencies it has while doing so. (Closed-loop
 * latencies understate what a user at a fixed arrival rate sees; {@link OpenLoop} measures that.)
 */
final class ClosedLoop {

    /** One operation of one client; returns normally when it succeeded. */
    @FunctionalInterface
    interface Operation {
        void run(int client, long sequence) throws Exception;
    }

    private final Duration warmUp;
    private final Duration measure;
    private final Map<String, AtomicLong> errorKinds = new ConcurrentHashMap<>();

    ClosedLoop(Duration warmUp, Duration measure) {
        this.warmUp = warmUp;
        this.measure = measure;
    }

    RunSample run(int clients, Operation operation) {
        errorKinds.clear();
        long start = System.nanoTime();
        long measureFrom = start + warmUp.toNanos();
        long end = measureFrom + measure.toNanos();
        List<Histogram> latencies = new ArrayList<>();
        AtomicLong errors = new AtomicLong();
        AtomicLong sequence = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            Histogram histogram = new Histogram(3);
            latencies.add(histogram);
            int client = c;
            Thread thread = new Thread(() -> {
                long now = System.nanoTime();
                while (now < end) {
                    long began = now;
                    boolean ok;
                    try {
                        operation.run(client, sequence.getAndIncrement());
                        ok = true;
                    } catch (Exception e) {
                        ok = false;
                        errorKinds.computeIfAbsent(kindOf(e), k -> new AtomicLong()).incrementAndGet();
                    }
                    now = System.nanoTime();
                    // Only operations that began and ended inside the window count, so the rate is exact.
                    if (began >= measureFrom && now <= end) {
                        if (ok) {
                            histogram.recordValue(now - began);
                        } else {
                            errors.incrementAndGet();
                        }
                    }
                }
            }, "bench-client-" + c);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            join(thread);
        }
        Histogram all = new Histogram(3);
        latencies.forEach(all::add);
        return RunSample.of(all, errors.get(), measure.toNanos(), Double.NaN);
    }

    /** How many operations of the last run failed, by kind of failure (warm-up included). */
    Map<String, Long> errorsOfLastRun() {
        Map<String, Long> kinds = new TreeMap<>();
        errorKinds.forEach((kind, count) -> kinds.put(kind, count.get()));
        return kinds;
    }

    /** The failure without what varies per request (everything from the first parenthesis on). */
    private static String kindOf(Exception e) {
        Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        String message = String.valueOf(cause.getMessage());
        int detail = message.indexOf(" (");
        return cause.getClass().getSimpleName() + ": " + (detail < 0 ? message : message.substring(0, detail));
    }

    static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
