package io.logkv.core;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Node clocks that move only when a test moves them: both by the same amount, as real time would. */
public final class ManualNodeTime implements NodeTime {

    private final AtomicLong nowMs;
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    public ManualNodeTime(long startMs) {
        this.nowMs = new AtomicLong(startMs);
    }

    public void advance(Duration by) {
        nowMs.addAndGet(by.toMillis());
        nanos.addAndGet(by.toNanos());
    }

    @Override
    public long nowMs() {
        return nowMs.get();
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }
}
