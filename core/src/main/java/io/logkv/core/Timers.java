package io.logkv.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread for the node's short delays: a hedged read's second request, a retry's pause, a poll
 * for a replica that is opening. {@code CompletableFuture.delayedExecutor} is not used for these: it runs
 * each task on the common pool, and where the common pool has fewer than two threads (a machine or
 * container with two cores or fewer) on a new thread per task, which at thousands of forwarded reads a
 * second costs more than the reads. Tasks must be short and must not block; they hand real work on.
 * Cancelled tasks leave the queue at once, so timers set for every request and cancelled when it is
 * answered do not pile up.
 */
public final class Timers {

    private static final ScheduledThreadPoolExecutor TIMER = timer();

    private Timers() {
    }

    private static ScheduledThreadPoolExecutor timer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, DaemonThreads.named("logkv-timer"));
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return timer;
    }

    /** Runs {@code task} on the timer thread after {@code delay}; cancel the answer to drop it. */
    public static ScheduledFuture<?> after(Duration delay, Runnable task) {
        return TIMER.schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    }

    /** A future completed (on the timer thread) after {@code delay}. */
    public static CompletableFuture<Void> delay(Duration delay) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        after(delay, () -> done.complete(null));
        return done;
    }
}
