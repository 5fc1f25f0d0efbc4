package io.logkv.core;

/**
 * The time a node's roles read, injected as Kafka injects its {@code Time}: wall-clock milliseconds for what
 * is compared across restarts or nodes (expiries, idempotency windows, when a store last applied), and a
 * monotonic nanosecond count for how long something took and for deadlines (the {@link System#nanoTime()} of
 * every {@code deadlineNanos}). Tests replace it to control time.
 */
public interface NodeTime {

    /** The system's clocks. */
    NodeTime SYSTEM = new NodeTime() {
        @Override
        public long nowMs() {
            return System.currentTimeMillis();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    };

    /** Wall-clock epoch milliseconds. */
    long nowMs();

    /** A monotonic count of nanoseconds, comparable only with itself. */
    long nanoTime();
}
