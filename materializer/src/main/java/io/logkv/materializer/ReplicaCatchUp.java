package io.logkv.materializer;

import io.logkv.core.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads waiting for one partition replica to reach a log position. Waiting costs no thread: a waiter is
 * a future completed by the applying thread when the position is reached, or by a timer when its bound
 * passes. The number of waiters on a node is bounded.
 */
public final class ReplicaCatchUp {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("logkv-catch-up-timer"));

    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.position, b.position));
    private final AtomicInteger nodeWaiters;
    private final int maxNodeWaiters;
    private long applied;

    /**
     * @param nodeWaiters    the waiter count shared by every partition of the node
     * @param maxNodeWaiters the bound on that count
     */
    ReplicaCatchUp(long applied, AtomicInteger nodeWaiters, int maxNodeWaiters) {
        this.applied = applied;
        this.nodeWaiters = nodeWaiters;
        this.maxNodeWaiters = maxNodeWaiters;
    }

    /**
     * Completes with true once the replica has applied {@code position}, or with false after
     * {@code maxWait} if it has not.
     *
     * @throws ReplicaOverloadedException when too many reads are already waiting on this node
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
                throw new ReplicaOverloadedException("more than " + maxNodeWaiters + " reads are waiting for replicas to catch up");
            }
            Waiter waiter = new Waiter(position, new CompletableFuture<>());
            waiters.add(waiter);
            TIMER.schedule(() -> expire(waiter), maxWait.toMillis(), TimeUnit.MILLISECONDS);
            return waiter.result;
        }
    }

    /** The position the replica has applied. */
    public synchronized long applied() {
        return applied;
    }

    /** Called by the applying thread when the replica reaches {@code position}. */
    void advance(long position) {
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

    /** Fails every waiter, for example when the replica is closed. */
    void cancelAll() {
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
