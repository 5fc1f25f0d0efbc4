package io.logkv.client.http;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Waits between attempts, spread at random so that clients refused at the same moment (a node restarting, an
 * overload) do not all come back at the same moment: the client's own pause anywhere in its upper half, a node's
 * {@code Retry-After} never shortened and lengthened by up to a tenth (at most a second).
 */
final class Backoff {

    private static final long MOST_ADDED_NANOS = Duration.ofSeconds(1).toNanos();

    private Backoff() {
    }

    /**
     * The wait before the next attempt: what the node asked for when it is longer than {@code pause} (the client's
     * own), else the pause, spread.
     *
     * @param asked the node's {@code Retry-After}, or null
     */
    static Duration next(Duration pause, Duration asked) {
        return asked != null && asked.compareTo(pause) > 0 ? lengthened(asked) : spread(pause);
    }

    /** The least of {@link #next}: a wait the node asked for is never shortened. */
    static Duration least(Duration pause, Duration asked) {
        return asked != null && asked.compareTo(pause) > 0 ? asked : pause.dividedBy(2);
    }

    private static Duration spread(Duration pause) {
        long nanos = pause.toNanos();
        return Duration.ofNanos(nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1));
    }

    private static Duration lengthened(Duration asked) {
        long most = Math.min(asked.toNanos() / 10, MOST_ADDED_NANOS);
        return asked.plusNanos(ThreadLocalRandom.current().nextLong(most + 1));
    }
}
