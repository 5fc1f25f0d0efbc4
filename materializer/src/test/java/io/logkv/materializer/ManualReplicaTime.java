package io.logkv.materializer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Replica clocks that move only when a test moves them: both by the same amount, as real time would. */
final class ManualReplicaTime implements ReplicaTime {

    private final AtomicLong nowMs;
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    ManualReplicaTime(long startMs) {
        this.nowMs = new AtomicLong(startMs);
    }

    void advance(Duration by) {
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
