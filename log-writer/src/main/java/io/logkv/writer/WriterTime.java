package io.logkv.writer;

/**
 * The time a node's writers read: wall-clock milliseconds for expiries and idempotency windows, and a
 * monotonic nanosecond count for deadlines, pauses and lingers (the {@link System#nanoTime()} of every
 * {@code deadlineNanos}). Tests replace it to control time.
 */
interface WriterTime {

    /** The system's clocks. */
    WriterTime SYSTEM = new WriterTime() {
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
