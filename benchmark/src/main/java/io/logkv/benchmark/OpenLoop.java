package io.logkv.benchmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Requests at a fixed rate, whatever the answers do, each timed from the moment it was meant to be sent.
 * A slow answer therefore counts against every request scheduled behind it, as a user arriving at that
 * rate would see it (no coordinated omission).
 *
 * <p>A scheduler thread releases the intended send times; a fixed pool of {@value #SENDERS} sender
 * threads (or as many as given) sends them with the same synchronous calls the closed loop uses (the JDK HttpClient's
 * asynchronous path costs far more client CPU per request and became the bottleneck on two cores).
 * When every sender is busy, requests wait in the queue, and that wait is part of their latency.
 */
final class OpenLoop {

    private static final int SENDERS = 64;
    private static final long STOP = Long.MIN_VALUE;

    private final Duration warmUp;
    private final Duration measure;
    private final int senders;

    OpenLoop(Duration warmUp, Duration measure) {
        this(warmUp, measure, SENDERS);
    }

    /** @param senders threads sending (requests in flight at most); a rate times a latency above it queues */
    OpenLoop(Duration warmUp, Duration measure, int senders) {
        this.warmUp = warmUp;
        this.measure = measure;
        this.senders = senders;
    }

    /** Runs {@code operation} {@code perSecond} times a second. */
    RunSample run(double perSecond, ClosedLoop.Operation operation) {
        long interval = Math.max(1, Math.round(1e9 / perSecond));
        long start = System.nanoTime();
        long measureFrom = start + warmUp.toNanos();
        long end = measureFrom + measure.toNanos();
        LinkedBlockingQueue<Long> intendedTimes = new LinkedBlockingQueue<>();
        AtomicLong errors = new AtomicLong();
        AtomicLong sequence = new AtomicLong();
        List<Histogram> latencies = new ArrayList<>();
        List<Thread> senders = new ArrayList<>();
        for (int s = 0; s < this.senders; s++) {
            Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            latencies.add(histogram);
            int sender = s;
            Thread thread = new Thread(() -> send(intendedTimes, operation, sender, sequence, measureFrom, histogram, errors),
                    "bench-open-loop-" + s);
            senders.add(thread);
            thread.start();
        }
        for (long i = 0; ; i++) {
            long intended = start + i * interval;
            if (intended >= end) {
                break;
            }
            long wait;
            while ((wait = intended - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            intendedTimes.add(intended);
        }
        senders.forEach(t -> intendedTimes.add(STOP));
        senders.forEach(ClosedLoop::join);
        Histogram all = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        latencies.forEach(all::add);
        return RunSample.of(all, errors.get(), measure.toNanos(), Double.NaN);
    }

    private static void send(LinkedBlockingQueue<Long> intendedTimes, ClosedLoop.Operation operation, int sender,
                             AtomicLong sequence, long measureFrom, Histogram latencies, AtomicLong errors) {
        while (true) {
            long intended;
            try {
                intended = intendedTimes.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (intended == STOP) {
                return;
            }
            boolean ok;
            try {
                operation.run(sender, sequence.getAndIncrement());
                ok = true;
            } catch (Exception e) {
                ok = false;
            }
            long latency = System.nanoTime() - intended;
            if (intended >= measureFrom) {
                if (ok) {
                    latencies.recordValue(Math.min(latency, latencies.getHighestTrackableValue()));
                } else {
                    errors.incrementAndGet();
                }
            }
        }
    }
}
