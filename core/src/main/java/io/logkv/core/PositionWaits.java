package io.logkv.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Requests waiting for a reader of the log (a partition replica, the namespace registry's reader) to reach a
 * position. Waiting costs no thread: a waiter is a future completed by the reading thread when the position is
 * reached, or by a timer when its bound passes. The number of waiters on a node is bounded.
 */
public final class PositionWaits {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("logkv-catch-up-timer"));

    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.position, b.position));
    private final AtomicInteger nodeWaiters;
    private final int maxNodeWaiters;
    private final Function<String, RuntimeException> overloaded;
    /** Written under this object's lock only; read without it, so that every read can ask cheaply. */
    private volatile long applied;

    /**
     * @param applied        the position reached so far
     * @param nodeWaiters    the waiter count shared by every reader of the node
     * @param maxNodeWaiters the bound on that count
     * @param overloaded     the failure a wait beyond the bound throws, from its message
     */
    public PositionWaits(long applied, AtomicInteger nodeWaiters, int maxNodeWaiters, Function<String, RuntimeException> overloaded) {
        this.applied = applied;
        this.nodeWaiters = nodeWaiters;
        this.maxNodeWaiters = maxNodeWaiters;
        this.overloaded = overloaded;
    }

    /**
     * Completes with true once the reader has reached {@code position}, or with false after {@code maxWait} if it
     * has not.
     *
     * @throws RuntimeException the {@code overloaded} failure when too many requests are already waiting on this node
     */
    public CompletableFuture<Boolean> await(long position, Duration maxWait) {
        synchronized (this) {
            if (applied >= position) {
                return CompletableFuture.completedFuture(true);
            }
            if (maxWait.isZero() || maxWait.isNegative()) {
                return CompletableFuture.completedFuture(false);
            }
            if (nodeWaiters.incrementAndGet() > maxNodeWaiters) {
                nodeWaiters.decrementAndGet();
                throw overloaded.apply("more than " + maxNodeWaiters + " reads are waiting for the log to be read this far");
            }
            Waiter waiter = new Waiter(position, new CompletableFuture<>());
            waiters.add(waiter);
            TIMER.schedule(() -> expire(waiter), maxWait.toMillis(), TimeUnit.MILLISECONDS);
            return waiter.result;
        }
    }

    /** The position reached. */
    public long applied() {
        return applied;
    }

    /** Called by the reading thread when it reaches {@code position}. */
    public void advance(long position) {
        List<Waiter> ready = new ArrayList<>();
        synchronized (this) {
            if (position <= applied) {
                return;
            }
            applied = position;
            while (!waiters.isEmpty() && waiters.peek().position <= position) {
                ready.add(waiters.poll());
            }
        }
        // Completed outside the lock: completion runs the reads' continuations.
        for (Waiter waiter : ready) {
            nodeWaiters.decrementAndGet();
            waiter.result.complete(true);
        }
    }

    /** Ends every wait unfulfilled, for example when the reader is closed. */
    public void cancelAll() {
        Waiter[] all;
        synchronized (this) {
            all = waiters.toArray(Waiter[]::new);
            waiters.clear();
        }
        for (Waiter waiter : all) {
            nodeWaiters.decrementAndGet();
            waiter.result.complete(false);
        }
    }

    private void expire(Waiter waiter) {
        boolean removed;
        synchronized (this) {
            removed = waiters.remove(waiter);
        }
        if (removed) {
            nodeWaiters.decrementAndGet();
            waiter.result.complete(false);
        }
    }

    private record Waiter(long position, CompletableFuture<Boolean> result) {
    }
}
