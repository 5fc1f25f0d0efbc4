package io.logkv.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A hybrid logical clock: readings follow wall-clock milliseconds but never go backwards and never
 * repeat, even when the wall clock stalls or steps back. Versions take their timestamps from it.
 */
public final class HybridClock {

    /** Low bits of a reading that count events within one millisecond. */
    public static final int COUNTER_BITS = 16;

    private final LongSupplier wallClockMillis;
    private final AtomicLong last = new AtomicLong();

    public HybridClock(LongSupplier wallClockMillis) {
        this.wallClockMillis = wallClockMillis;
    }

    public static HybridClock system() {
        return new HybridClock(System::currentTimeMillis);
    }

    /** A reading strictly greater than every earlier reading and every {@link #observe observed} one. */
    public long next() {
        long physical = wallClockMillis.getAsLong() << COUNTER_BITS;
        return last.updateAndGet(previous -> Math.max(previous + 1, physical));
    }

    /** Moves the clock past a reading made elsewhere (for example a version read back from the log). */
    public void observe(long reading) {
        last.accumulateAndGet(reading, Math::max);
    }
}
