package io.logkv.materializer;

/**
 * The time a node's replicas read: wall-clock milliseconds for what is compared across restarts or with
 * other threads' clocks (when a store last applied, when a replica was last caught up), and a monotonic
 * nanosecond count for how long something took. Tests replace it to control time.
 */
interface ReplicaTime {

    /** The system's clocks. */
    ReplicaTime SYSTEM = new ReplicaTime() {
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
